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
  // Distributed mode: the items cross as frames of bytes (between ranks, or handed over in
  // memory within one). Every edge that is neither fused nor forward between equal instances.
  bool exchange = false;
};

struct Plan {
  Mode mode = Mode::in_process;
  unsigned ranks = 1;           // distributed mode: instance i of every node runs on rank i % ranks
  std::vector<PlanNode> nodes;  // by NodeId
  std::vector<PlanEdge> edges;  // by index in Graph::edges()
  std::vector<std::vector<NodeId>> chains;        // each in topological order, head first
  std::vector<NodeId> order;                      // all nodes, topological
  std::vector<std::vector<std::size_t>> inputs;   // edge indices into each node
  std::vector<std::vector<std::size_t>> outputs;  // edge indices out of each node

  [[nodiscard]] unsigned rank_of(unsigned instance) const noexcept { return instance % ranks; }
};

// Validates `graph` (throws GraphError) and resolves it for `options` on `ranks` ranks (used
// in distributed mode only: a node's default parallelism is then threads × ranks, and an
// exchanged item type without a binary codec is an error naming the edge).
[[nodiscard]] Plan make_plan(const Graph& graph, const RunOptions& options, unsigned ranks = 1);

}  // namespace sw
