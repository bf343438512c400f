#include "channel.hpp"

#include <algorithm>

#include "task.hpp"

namespace sw::runtime {

std::uint32_t ChannelShares::add_producer(Task& producer) {
  for (std::size_t i = 0; i < producers_.size(); ++i) {
    if (producers_[i].task == &producer) return static_cast<std::uint32_t>(i);
  }
  producers_.emplace_back(producer);
  const auto n = static_cast<std::int64_t>(producers_.size());
  share_ = std::max<std::int64_t>(1, (capacity_ + n - 1) / n);
  return static_cast<std::uint32_t>(producers_.size() - 1);
}

void ChannelShares::pushed() noexcept {
  if (size_.fetch_add(1, std::memory_order_seq_cst) == 0) consumer_->wake();
}

void ChannelShares::popped(std::uint32_t producer) noexcept {
  size_.fetch_sub(1, std::memory_order_seq_cst);
  let_go(producer);
}

void ChannelShares::let_go(std::uint32_t producer) noexcept {
  if (producer == kUncountedProducer) return;
  Producer& from = producers_[producer];
  if (from.queued.fetch_sub(1, std::memory_order_seq_cst) == share_) from.task->wake();
}

}  // namespace sw::runtime
