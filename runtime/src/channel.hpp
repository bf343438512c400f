// Internal: a bounded channel into one task. The counting (each producer's share of the
// capacity, waking the consumer and the producers) is ChannelShares; BasicChannel adds the
// queue of one kind of element; Channel is the receiver of events every task has.
#pragma once

#include <concurrentqueue/concurrentqueue.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <optional>

#include "receiver.hpp"

namespace sw::runtime {

class Task;

// The consumer takes from the producers in turn, two elements each (a batch and its
// watermark). moodycamel's default stays with one producer for 256 elements while it has any:
// a producer that refilled its stream as fast as the consumer took from it kept the consumer
// to itself. Not 1: after the consumer skips an empty producer, moodycamel counts the first
// element from the next one and then compares for equality, so with 1 it never rotates again.
struct ChannelQueueTraits : moodycamel::ConcurrentQueueDefaultTraits {
  static const std::uint32_t EXPLICIT_CONSUMER_CONSUMPTION_QUOTA_BEFORE_ROTATE = 2;
};

// Each producer task may have its share of the capacity queued: capacity / producers,
// rounded up. Without shares, the producer that a freed slot woke first took it every time:
// on a keyed exchange, one source instance ran ahead of the others and every window
// downstream held the state of the whole distance between them. A share is all a producer
// waits for (not the channel's total as well: then the first one woken would again take
// the total's slots), so the channel holds at most max(capacity + producers - 1, producers)
// elements, plus one step's output per producer.
class ChannelShares {
 public:
  ChannelShares(std::size_t capacity, Task& consumer) noexcept
      : capacity_(static_cast<std::int64_t>(capacity)), share_(capacity_), consumer_(&consumer) {}

  // Registers a producer task, once however many edges it sends on; returns its index on this
  // channel, for push and has_room. Build time, one thread.
  std::uint32_t add_producer(Task& producer);

  // seq_cst, with pop's decrements and the task's state changes: a producer that marks itself
  // running and then finds no room, and a consumer that frees a slot and then finds the
  // producer not idle, cannot both miss the other (store-load order; see Task::run).
  [[nodiscard]] bool has_room(std::uint32_t producer) const noexcept {
    return producers_[producer].queued.load(std::memory_order_seq_cst) < share_;
  }
  // Elements of `producer` in the channel (or taken and retained). Any thread.
  [[nodiscard]] std::int64_t queued(std::uint32_t producer) const noexcept {
    return producers_[producer].queued.load(std::memory_order_acquire);
  }
  [[nodiscard]] bool is_empty() const noexcept {
    return size_.load(std::memory_order_seq_cst) == 0;
  }
  [[nodiscard]] std::int64_t size() const noexcept { return size_.load(std::memory_order_acquire); }
  [[nodiscard]] std::int64_t capacity() const noexcept { return capacity_; }

  // A consumer that keeps an element it took (to align checkpoint barriers) keeps it counted
  // in its producer's share until it lets it go: the producer cannot run ahead meanwhile.
  // Consumer side.
  void retain(std::uint32_t producer) noexcept { count_in(producer); }
  void let_go(std::uint32_t producer) noexcept;

 protected:
  // Before an element of `producer` (or kUncountedProducer) is queued.
  void count_in(std::uint32_t producer) noexcept {
    if (producer != kUncountedProducer) {
      producers_[producer].queued.fetch_add(1, std::memory_order_seq_cst);
    }
  }
  // After it is queued: wakes the consumer when the channel was empty.
  void pushed() noexcept;
  // After the consumer took one: wakes its producer when its share stops being full.
  void popped(std::uint32_t producer) noexcept;

 private:
  struct alignas(64) Producer {
    explicit Producer(Task& t) noexcept : task(&t) {}
    Task* task;
    std::atomic<std::int64_t> queued{0};
  };

  std::atomic<std::int64_t> size_{0};
  const std::int64_t capacity_;
  std::int64_t share_;  // of each producer: capacity / producers, rounded up, at least 1
  Task* consumer_;
  std::deque<Producer> producers_;  // a deque: atomics do not move
};

// A channel of `Element`s, which have a `producer` member (the index push stamps).
template <class Element>
class BasicChannel : public ChannelShares {
 public:
  using Queue = moodycamel::ConcurrentQueue<Element, ChannelQueueTraits>;

  // The queue starts with room for `capacity` elements (moodycamel's default preallocates
  // 1024 slots, which a wide fan-out pays once per consumer).
  BasicChannel(std::size_t capacity, Task& consumer)
      : ChannelShares(capacity, consumer), queue_(capacity + 1) {}

  // Producer side; never blocks. `producer`: add_producer's index, or kUncountedProducer.
  void push(moodycamel::ProducerToken& token, std::uint32_t producer, Element element) {
    element.producer = producer;
    count_in(producer);
    queue_.enqueue(token, std::move(element));
    pushed();
  }
  // Consumer side.
  bool pop(moodycamel::ConsumerToken& token, Element& element) {
    if (!queue_.try_dequeue(token, element)) return false;
    popped(element.producer);
    return true;
  }

  // For the tokens of the producers and of the consumer.
  Queue& queue() noexcept { return queue_; }

 private:
  Queue queue_;
};

// The channel every task that is not a source has: batches, watermarks and end-of-stream from
// its producers on this process. Producers: worker threads (push, with their own token);
// consumer: the task (pull).
class Channel final : public BasicChannel<Event>, public Receiver {
 public:
  using BasicChannel<Event>::BasicChannel;
  [[nodiscard]] bool pull(Event& event) override {
    if (!consumer_token_) consumer_token_.emplace(queue());
    return pop(*consumer_token_, event);
  }
  [[nodiscard]] bool empty() const noexcept override { return is_empty(); }

 private:
  std::optional<moodycamel::ConsumerToken> consumer_token_;
};

// One output channel of a task, with the task's producer index on it.
struct ChannelPort {
  ChannelShares* channel = nullptr;
  std::uint32_t producer = 0;
  [[nodiscard]] bool has_room() const noexcept { return channel->has_room(producer); }
};

}  // namespace sw::runtime
