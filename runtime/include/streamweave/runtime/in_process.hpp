// The in-process executor: runs a Graph on a TBB task arena of RunOptions::threads workers.
//
// Each chain of fused nodes becomes one task per parallel instance. A task is an actor: it
// runs while it has input and room in every output channel, for RunOptions::step_budget
// steps, then yields its worker. A task with nothing to read, or with a full output, parks
// until a producer or consumer wakes it; no thread spins on a queue. Channels are bounded
// moodycamel queues of pooled, reference-counted batches with end-of-stream in-band.
#pragma once

#include "streamweave/engine/graph.hpp"
#include "streamweave/runtime/options.hpp"
#include "streamweave/runtime/report.hpp"

namespace sw {

// Runs `graph` to completion (or cancellation) and returns what it did. Blocks the caller,
// which takes no part in the work. Throws GraphError before starting on a malformed graph,
// and rethrows the first NodeError once every task has stopped. Most programs call sw::run.
RunReport run_in_process(const Graph& graph, const RunOptions& options);

}  // namespace sw
