// Internal: a bounded channel of batches into one task.
#pragma once

#include <concurrentqueue/concurrentqueue.h>
#include <atomic>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>

#include "streamweave/engine/batch.hpp"
#include "streamweave/engine/event_time.hpp"
#include "streamweave/serde/bytes.hpp"
#include "streamweave/serde/frame.hpp"

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
  // What a frame from `from_rank` carries, with its header if the receiver already read it
  // (read_frame_header); throws ExchangeError on a bad frame.
  [[nodiscard]] virtual Delivery take(const Bytes& frame, const std::optional<FrameHeader>& header,
                                      int from_rank) = 0;
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

// Event::producer of what the communication thread pushes: its credits bound it instead.
inline constexpr std::uint32_t kUncountedProducer = std::numeric_limits<std::uint32_t>::max();

// What travels on a channel: a batch; or a watermark of input slot `slot`; or (distributed
// mode) a frame for `inbox`; or, when none of these, end-of-stream from one producer. All
// travel in one FIFO per producer, so neither end-of-stream nor a watermark overtakes data.
// An event from another rank names it (from_rank >= 0) and the route its credit returns on.
// A consumer's input slots are its producers: one per forward edge, one per producer instance
// of any other edge; it passes on the minimum of their watermarks.
struct Event {
  BatchRef batch;
  Bytes frame;
  std::optional<FrameHeader> header;  // of `frame`, when read on arrival from another rank
  FrameInbox* inbox = nullptr;
  std::int32_t from_rank = -1;
  std::uint32_t route = 0;
  std::uint32_t source = 0;  // the producer instance, for end-of-stream on an exchange edge
  std::uint32_t slot = 0;    // the producer's input slot at the consumer (not for frames)
  std::uint32_t producer = kUncountedProducer;  // its index on the channel (Channel::push)
  bool is_watermark = false;
  EventTime watermark = 0;
};

// The consumer takes from the producers in turn, two events each (a batch and its
// watermark). moodycamel's default stays with one producer for 256 events while it has any:
// a producer that refilled its stream as fast as the consumer took from it kept the consumer
// to itself. Not 1: after the consumer skips an empty producer, moodycamel counts the first
// event from the next one and then compares for equality, so with 1 it never rotates again.
struct ChannelQueueTraits : moodycamel::ConcurrentQueueDefaultTraits {
  static const std::uint32_t EXPLICIT_CONSUMER_CONSUMPTION_QUOTA_BEFORE_ROTATE = 2;
};
using EventQueue = moodycamel::ConcurrentQueue<Event, ChannelQueueTraits>;

// Each producer task may have its share of the capacity queued: capacity / producers,
// rounded up. Without shares, the producer that a freed slot woke first took it every time:
// on a keyed exchange, one source instance ran ahead of the others and every window
// downstream held the state of the whole distance between them. A share is all a producer
// waits for (not the channel's total as well: then the first one woken would again take
// the total's slots), so the channel holds at most max(capacity + producers - 1, producers)
// events, plus one step's output per producer.
class Channel {
 public:
  // The queue starts with room for `capacity` events (moodycamel's default preallocates
  // 1024 slots, which a wide fan-out pays once per consumer).
  Channel(std::size_t capacity, Task& consumer)
      : queue_(capacity + 1),
        capacity_(static_cast<std::int64_t>(capacity)),
        share_(capacity_),
        consumer_(&consumer) {}

  // Registers a producer task, once however many edges it sends on; returns its index on this
  // channel, for push and has_room. Build time, one thread.
  std::uint32_t add_producer(Task& producer);

  // Producer side; never blocks. `producer`: add_producer's index, or kUncountedProducer.
  // Wakes the consumer when the channel was empty.
  void push(moodycamel::ProducerToken& token, std::uint32_t producer, Event event);
  // Consumer side. Wakes a producer whose share stops being full.
  bool pop(moodycamel::ConsumerToken& token, Event& event);

  // seq_cst, with pop's decrements and the task's state changes: a producer that marks itself
  // running and then finds no room, and a consumer that frees a slot and then finds the
  // producer not idle, cannot both miss the other (store-load order; see Task::run).
  [[nodiscard]] bool has_room(std::uint32_t producer) const noexcept {
    return producers_[producer].queued.load(std::memory_order_seq_cst) < share_;
  }
  [[nodiscard]] bool empty() const noexcept { return size_.load(std::memory_order_seq_cst) == 0; }
  [[nodiscard]] std::int64_t size() const noexcept { return size_.load(std::memory_order_acquire); }

  EventQueue& queue() noexcept { return queue_; }

 private:
  struct alignas(64) Producer {
    explicit Producer(Task& t) noexcept : task(&t) {}
    Task* task;
    std::atomic<std::int64_t> queued{0};
  };

  EventQueue queue_;
  std::atomic<std::int64_t> size_{0};
  const std::int64_t capacity_;
  std::int64_t share_;  // of each producer: capacity / producers, rounded up, at least 1
  Task* consumer_;
  std::deque<Producer> producers_;  // a deque: atomics do not move
};

// One output channel of a task, with the task's producer index on it.
struct ChannelPort {
  Channel* channel;
  std::uint32_t producer;
  [[nodiscard]] bool has_room() const noexcept { return channel->has_room(producer); }
};

}  // namespace sw::runtime
