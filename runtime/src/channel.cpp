#include "channel.hpp"

#include "task.hpp"

namespace sw::runtime {

void Channel::push(moodycamel::ProducerToken& token, Event event) {
  queue_.enqueue(token, std::move(event));
  if (size_.fetch_add(1, std::memory_order_seq_cst) == 0) consumer_->wake();
}

bool Channel::pop(moodycamel::ConsumerToken& token, Event& event) {
  if (!queue_.try_dequeue(token, event)) return false;
  if (size_.fetch_sub(1, std::memory_order_seq_cst) == capacity_) {
    for (Task* producer : producers_) producer->wake();
  }
  return true;
}

}  // namespace sw::runtime
