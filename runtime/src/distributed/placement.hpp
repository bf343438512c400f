// Internal: which edges of a plan carry frames in distributed mode.
#pragma once

#include <vector>

#include "streamweave/engine/graph.hpp"
#include "streamweave/engine/plan.hpp"

namespace sw::runtime {

// By edge: its items cross as frames of bytes (between ranks, or handed over in memory within
// one) — every edge that is neither fused nor one-to-one. Throws GraphError naming the edge
// when such an edge's item type has no binary codec.
[[nodiscard]] std::vector<bool> exchange_edges(const Graph& graph, const Plan& plan);

}  // namespace sw::runtime
