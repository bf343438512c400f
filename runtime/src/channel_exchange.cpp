#include "channel_exchange.hpp"

#include "build.hpp"

namespace sw::runtime {

void ChannelExchange::add_receivers(const Graph& /*graph*/, Built& built) {
  for (std::size_t c = 0; c < built.plan.chains.size(); ++c) {
    const std::size_t capacity = built.plan.nodes[built.plan.chains[c].front()].channel_capacity;
    for (Task* task : built.tasks_of[c]) {
      if (task == nullptr || task->source != nullptr) continue;
      task->input = std::make_unique<Channel>(capacity, *task);
      task->add_receiver(*task->input);
    }
  }
}

std::unique_ptr<BatchSender> ChannelExchange::make_sender(const Graph& graph, const Built& built,
                                                          std::size_t edge, Task& producer,
                                                          unsigned instance) {
  const Plan& plan = built.plan;
  std::vector<ChannelTarget> targets;
  for (Task* consumer : built.tasks_of[plan.nodes[graph.edges()[edge].to].chain]) {
    if (consumer == nullptr) {
      targets.emplace_back();  // on another rank: a forward edge never sends there
      continue;
    }
    targets.push_back({consumer->input.get(), producer.output_to(*consumer->input).producer});
  }
  const bool forward = plan.edges[edge].partitioning == Partitioning::forward;
  const std::uint32_t slot = built.slot_base[edge] + (forward ? 0 : instance);
  return std::make_unique<ChannelSender>(std::move(targets), slot);
}

}  // namespace sw::runtime
