// Internal: a bounded channel of batches into one task.
#pragma once

#include <concurrentqueue/concurrentqueue.h>
#include <atomic>
#include <cstdint>
#include <vector>

#include "streamweave/engine/batch.hpp"

namespace sw::runtime {

class Task;

// A batch, or end-of-stream from one producer instance when `batch` is null. Both travel
// in one FIFO per producer, so end-of-stream never overtakes data.
struct Event {
  BatchRef batch;
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

  [[nodiscard]] bool has_room() const noexcept {
    return size_.load(std::memory_order_acquire) < capacity_;
  }
  [[nodiscard]] bool empty() const noexcept { return size_.load(std::memory_order_acquire) == 0; }
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
