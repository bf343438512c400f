// Plan: how a graph will run for given defaults — resolved settings per node, resolved
// partitioning per edge, and the chains of nodes fused into one task. Where the instances run
// (which process, which transport) is the runtime's business, not the plan's.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
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
  // The compiled group (Plan::compiled) the node runs in, or kNotCompiled.
  std::size_t compiled = kNotCompiled;
  static constexpr std::size_t kNotCompiled = ~std::size_t{0};
};

struct PlanEdge {
  Partitioning partitioning = Partitioning::forward;
  bool fused = false;  // producer and consumer run in one task; items pass by direct call
  // Instance i of the producer feeds instance i of the consumer only (a forward edge, or one
  // instance on each side); otherwise items may go to any consumer instance.
  bool one_to_one = false;
  // Inside a compiled group (chain.hpp): no batch crosses it, items go from one step to the
  // next in one loop.
  bool compiled = false;
};

struct Plan {
  std::vector<PlanNode> nodes;              // by NodeId
  std::vector<PlanEdge> edges;              // by index in Graph::edges()
  std::vector<std::vector<NodeId>> chains;  // each in topological order, head first
  // Runs of nodes within a chain that run as one compiled loop (chain.hpp), head first; the
  // last node's ChainCompiler makes their instance.
  std::vector<std::vector<NodeId>> compiled;
  std::vector<NodeId> order;                      // all nodes, topological
  std::vector<std::vector<std::size_t>> inputs;   // edge indices into each node
  std::vector<std::vector<std::size_t>> outputs;  // edge indices out of each node
};

// Validates `graph` (throws GraphError naming the node) and resolves its nodes' unset options
// to `defaults` (after the graph's own default parallelism).
[[nodiscard]] Plan make_plan(const Graph& graph, const PlanDefaults& defaults);

// Extra labels and styles for Graph::to_dot, e.g. where the runtime places each instance.
struct DotNotes {
  std::function<std::string(NodeId)> node_note;       // a second line under the node's name
  std::function<std::string(std::size_t)> edge_note;  // appended to the edge's label
  std::function<bool(std::size_t)> edge_dashed;       // e.g. edges that carry bytes
};

// The plan in Graphviz DOT: nodes with their parallelism, edges with their partitioning,
// fused chains as clusters, with `notes` added.
[[nodiscard]] std::string plan_dot(const Graph& graph, const Plan& plan,
                                   const DotNotes& notes = {});

}  // namespace sw
