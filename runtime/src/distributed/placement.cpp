#include "placement.hpp"

#include "streamweave/engine/errors.hpp"

namespace sw::runtime {

std::vector<bool> exchange_edges(const Graph& graph, const Plan& plan) {
  std::vector<bool> exchange(graph.edges().size(), false);
  for (std::size_t e = 0; e < exchange.size(); ++e) {
    exchange[e] = !plan.edges[e].fused && !plan.edges[e].one_to_one;
    const EdgeSpec& edge = graph.edges()[e];
    const PortSpec& port = graph.node(edge.from).port(edge.port);
    if (exchange[e] && port.codec() == nullptr) {
      throw GraphError("graph '" + graph.name() + "': edge " + graph.node(edge.from).describe() +
                       " -> " + graph.node(edge.to).describe() + " (" +
                       std::string(to_string(plan.edges[e].partitioning)) +
                       ") crosses ranks, but its item type " + std::string(port.item_type_name()) +
                       " has no binary codec; make it an aggregate of codable fields or give it "
                       "sw_encode/sw_decode (docs/serde.md), or keep the edge forward");
    }
  }
  return exchange;
}

}  // namespace sw::runtime
