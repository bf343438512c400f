// Running a graph: sw::run hands a blueprint to the executor its options choose — this
// process (run_in_process) or the program's MPI ranks (run_distributed).
#pragma once

#include <string>

#include "streamweave/engine/graph.hpp"
#include "streamweave/runtime/options.hpp"
#include "streamweave/runtime/report.hpp"

namespace sw {

// Runs `graph` to completion and reports what it did: in this process, or with
// options.mode == Mode::distributed over the program's MPI ranks (every rank calls run on
// the same graph). Throws GraphError for a malformed graph, NodeError when a node fails
// (policy stop), RemoteFailure on the other ranks when one rank fails. Blocks the calling
// thread, which takes no part in the work.
RunReport run(const Graph& graph, const RunOptions& options = {});

// The graph as it would run with `options`, in Graphviz DOT: nodes with their parallelism,
// edges with their partitioning, fused chains as clusters. In distributed mode, for `ranks`
// ranks: each node's ranks, and the edges that carry frames dashed. Throws GraphError.
[[nodiscard]] std::string to_dot(const Graph& graph, const RunOptions& options = {},
                                 unsigned ranks = 1);

}  // namespace sw
