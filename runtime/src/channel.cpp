#include "channel.hpp"

#include <algorithm>

#include "task.hpp"

namespace sw::runtime {

std::uint32_t Channel::add_producer(Task& producer) {
  for (std::size_t i = 0; i < producers_.size(); ++i) {
    if (producers_[i].task == &producer) return static_cast<std::uint32_t>(i);
  }
  producers_.emplace_back(producer);
  const auto n = static_cast<std::int64_t>(producers_.size());
  share_ = std::max<std::int64_t>(1, (capacity_ + n - 1) / n);
  return static_cast<std::uint32_t>(producers_.size() - 1);
}

void Channel::push(moodycamel::ProducerToken& token, std::uint32_t producer, Event event) {
  event.producer = producer;
  if (producer != kUncountedProducer) {
    producers_[producer].queued.fetch_add(1, std::memory_order_seq_cst);
  }
  queue_.enqueue(token, std::move(event));
  if (size_.fetch_add(1, std::memory_order_seq_cst) == 0) consumer_->wake();
}

bool Channel::pop(moodycamel::ConsumerToken& token, Event& event) {
  if (!queue_.try_dequeue(token, event)) return false;
  size_.fetch_sub(1, std::memory_order_seq_cst);
  if (event.producer == kUncountedProducer) return true;
  Producer& from = producers_[event.producer];
  if (from.queued.fetch_sub(1, std::memory_order_seq_cst) == share_) from.task->wake();
  return true;
}

}  // namespace sw::runtime
