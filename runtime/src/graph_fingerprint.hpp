// Internal: fingerprints of a graph, to tell whether two processes (ranks) or two runs (a
// checkpoint and the run restoring it) have the same one.
#pragma once

#include <cstdint>

#include "streamweave/engine/graph.hpp"
#include "streamweave/engine/plan.hpp"

namespace sw::runtime {

// Nodes (name, operator, parallelism, port types) and edges with their partitioning: the same
// on every rank that built the same graph with the same settings.
[[nodiscard]] std::uint64_t graph_fingerprint(const Graph& graph, const Plan& plan);
// The same without parallelism and partitioning, which a restored run may change.
[[nodiscard]] std::uint64_t graph_shape_fingerprint(const Graph& graph);

}  // namespace sw::runtime
