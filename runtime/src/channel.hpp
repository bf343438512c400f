// Internal: a bounded channel of batches into one task.
#pragma once

#include <concurrentqueue/concurrentqueue.h>
#include <atomic>
#include <cstdint>
#include <vector>

#include "streamweave/engine/batch.hpp"
#include "streamweave/engine/event_time.hpp"
#include "streamweave/serde/bytes.hpp"

namespace sw::runtime {

class Task;

// What one frame carries: a batch, or a watermark from the producer of input slot `slot`.
struct Delivery {
  BatchRef batch;
  bool is_watermark = false;
  EventTime watermark = 0;
  std::uint32_t slot = 0;
};

// Distributed mode: where the frames of one exchange edge into one consumer instance are
// turned back into batches. Called by the consumer's task only.
class FrameInbox {
 public:
  virtual ~FrameInbox() = default;
  // What a frame from `from_rank` carries; throws ExchangeError on a bad frame.
  [[nodiscard]] virtual Delivery take(const Bytes& frame, int from_rank) = 0;
  // End-of-stream from producer instance `source` of this edge: returns its input slot.
  // Throws ExchangeError when that producer had already ended.
  virtual std::uint32_t end(unsigned source, int from_rank) = 0;
};

// Distributed mode: gives a credit back to the rank that sent an event, once the consumer
// has taken the event off its channel. Any worker thread.
class CreditReturn {
 public:
  virtual ~CreditReturn() = default;
  virtual void return_credit(int rank, std::uint32_t route) noexcept = 0;
};

// What travels on a channel: a batch; or a watermark of input slot `slot`; or (distributed
// mode) a frame for `inbox`; or, when none of these, end-of-stream from one producer. All
// travel in one FIFO per producer, so neither end-of-stream nor a watermark overtakes data.
// An event from another rank names it (from_rank >= 0) and the route its credit returns on.
// A consumer's input slots are its producers: one per forward edge, one per producer instance
// of any other edge; it passes on the minimum of their watermarks.
struct Event {
  BatchRef batch;
  Bytes frame;
  FrameInbox* inbox = nullptr;
  std::int32_t from_rank = -1;
  std::uint32_t route = 0;
  std::uint32_t source = 0;  // the producer instance, for end-of-stream on an exchange edge
  std::uint32_t slot = 0;    // the producer's input slot at the consumer (not for frames)
  bool is_watermark = false;
  EventTime watermark = 0;
};

class Channel {
 public:
  // The queue starts with room for `capacity` events (moodycamel's default preallocates
  // 1024 slots, which a wide fan-out pays once per consumer).
  Channel(std::size_t capacity, Task& consumer)
      : queue_(capacity + 1),
        capacity_(static_cast<std::int64_t>(capacity)),
        consumer_(&consumer) {}

  // Producer side; never blocks. Wakes the consumer when the channel was empty.
  void push(moodycamel::ProducerToken& token, Event event);
  // Consumer side. Wakes the producers when the channel stops being full.
  bool pop(moodycamel::ConsumerToken& token, Event& event);

  // seq_cst, with pop's decrement and the task's state changes: a producer that marks itself
  // running and then finds the channel full, and a consumer that frees a slot and then finds
  // the producer not idle, cannot both miss the other (store-load order; see Task::run).
  [[nodiscard]] bool has_room() const noexcept {
    return size_.load(std::memory_order_seq_cst) < capacity_;
  }
  [[nodiscard]] bool empty() const noexcept { return size_.load(std::memory_order_seq_cst) == 0; }
  [[nodiscard]] std::int64_t size() const noexcept { return size_.load(std::memory_order_acquire); }

  moodycamel::ConcurrentQueue<Event>& queue() noexcept { return queue_; }
  void add_producer(Task& producer) { producers_.push_back(&producer); }

 private:
  moodycamel::ConcurrentQueue<Event> queue_;
  std::atomic<std::int64_t> size_{0};
  const std::int64_t capacity_;
  Task* consumer_;
  std::vector<Task*> producers_;
};

}  // namespace sw::runtime
