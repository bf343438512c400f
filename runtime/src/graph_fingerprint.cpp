#include "graph_fingerprint.hpp"

#include <fmt/format.h>

#include "streamweave/serde/hash.hpp"

namespace sw::runtime {

namespace {

// The graph as text; with `plan`, parallelism and partitioning too.
std::string describe(const Graph& graph, const Plan* plan) {
  std::string text = graph.name();
  for (NodeId id = 0; id < graph.node_count(); ++id) {
    const NodeSpec& node = graph.node(id);
    text += fmt::format("|{}:{}", node.name(), node.op());
    if (plan != nullptr) text += fmt::format(":{}", plan->nodes[id].parallelism);
    for (std::size_t p = 0; p < node.port_count(); ++p) {
      text += ":";
      text += node.port(p).item_type_name();
    }
  }
  for (std::size_t e = 0; e < graph.edges().size(); ++e) {
    const EdgeSpec& edge = graph.edges()[e];
    text += fmt::format("|{}.{}>{}", edge.from, edge.port, edge.to);
    if (plan != nullptr) text += fmt::format(":{}", to_string(plan->edges[e].partitioning));
  }
  return text;
}

}  // namespace

std::uint64_t graph_fingerprint(const Graph& graph, const Plan& plan) {
  return fnv1a64(describe(graph, &plan));
}

std::uint64_t graph_shape_fingerprint(const Graph& graph) {
  return fnv1a64(describe(graph, nullptr));
}

}  // namespace sw::runtime
