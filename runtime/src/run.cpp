#include "streamweave/runtime/run.hpp"

#include <algorithm>

#include "build.hpp"
#include "distributed/placement.hpp"
#include "streamweave/engine/plan.hpp"
#include "streamweave/runtime/distributed.hpp"
#include "streamweave/runtime/in_process.hpp"

namespace sw {

RunReport run(const Graph& graph, const RunOptions& options) {
  if (options.mode == Mode::distributed) return run_distributed(graph, options);
  return run_in_process(graph, options);
}

std::string to_dot(const Graph& graph, const RunOptions& options, unsigned ranks) {
  const bool distributed = options.mode == Mode::distributed;
  const runtime::Placement placement{distributed, distributed ? std::max(1u, ranks) : 1u, 0};
  const Plan plan = runtime::plan_run(graph, options, placement.ranks);
  if (!distributed) return plan_dot(graph, plan);
  const std::vector<bool> exchange = runtime::exchange_edges(graph, plan);
  DotNotes notes;
  // Instance i runs on rank i % ranks, so a node spans the first min(parallelism, ranks).
  notes.node_note = [&](NodeId id) {
    const unsigned spanned = std::min(plan.nodes[id].parallelism, placement.ranks);
    return spanned == 1 ? std::string("rank 0") : "ranks 0-" + std::to_string(spanned - 1);
  };
  notes.edge_note = [&](std::size_t e) { return exchange[e] ? " (frames)" : ""; };
  notes.edge_dashed = [&](std::size_t e) { return static_cast<bool>(exchange[e]); };
  return plan_dot(graph, plan, notes);
}

}  // namespace sw
