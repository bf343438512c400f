// Plan: how a graph will run for given RunOptions — resolved settings per node, resolved
// partitioning per edge, and the chains of nodes fused into one task.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "streamweave/engine/graph.hpp"
#include "streamweave/engine/options.hpp"
#include "streamweave/engine/partitioning.hpp"

namespace sw {

struct PlanNode {
  unsigned parallelism = 1;
  std::size_t batch_size = 1024;
  std::chrono::microseconds linger{0};
  std::size_t channel_capacity = 16;
  std::size_t chain = 0;
};

struct PlanEdge {
  Partitioning partitioning = Partitioning::forward;
  bool fused = false;  // producer and consumer run in one task; items pass by direct call
};

struct Plan {
  std::vector<PlanNode> nodes;                    // by NodeId
  std::vector<PlanEdge> edges;                    // by index in Graph::edges()
  std::vector<std::vector<NodeId>> chains;        // each in topological order, head first
  std::vector<NodeId> order;                      // all nodes, topological
  std::vector<std::vector<std::size_t>> inputs;   // edge indices into each node
  std::vector<std::vector<std::size_t>> outputs;  // edge indices out of each node
};

// Validates `graph` (throws GraphError) and resolves it for `options`.
[[nodiscard]] Plan make_plan(const Graph& graph, const RunOptions& options);

}  // namespace sw
