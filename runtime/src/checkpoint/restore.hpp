// Internal: where a checkpointed run starts — afresh, or from a checkpoint whose state every
// instance takes back before the first event.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../build.hpp"
#include "store.hpp"
#include "streamweave/runtime/checkpoint_options.hpp"

namespace sw::runtime {

struct RestorePoint {
  std::optional<LoadedCheckpoint> checkpoint;  // none: the run starts afresh
  std::vector<std::string> skipped;            // newer checkpoints that did not load, and why
  std::uint64_t next_id = 1;                   // of the run's first checkpoint
};

// The checkpoint `options` asks for in `store`: the latest that loads (skipping damaged
// ones), the one of restore_id, or none (fresh, or nothing there). Throws CorruptFile or
// std::system_error when restore_id's does not load; GraphError when both are set.
[[nodiscard]] RestorePoint choose_restore_point(const CheckpointStore& store,
                                                const CheckpointOptions& options);

// Throws GraphError naming the first local instance whose state no checkpoint can save.
void check_checkpointable(const Graph& graph, const RunContext& run);

// Every local instance takes back its state from `checkpoint`, which must be of the same
// graph (GraphError otherwise); the parallelism and the ranks may differ. Throws CorruptFile
// for a state file that does not decode.
void restore_instances(const Graph& graph, const Built& built, RunContext& run,
                       const LoadedCheckpoint& checkpoint);

// Every local task whose inputs had batches in flight when `checkpoint` passed it unaligned
// takes them back, before anything else. Where the node's parallelism changed, the batches go
// to the instances that own their items now (by key on a hash edge). Throws GraphError when
// such a node's batches came on a broadcast edge and its parallelism changed; CorruptFile for
// frames that do not decode.
void restore_in_flight(const Graph& graph, const Built& built, RunContext& run,
                       const LoadedCheckpoint& checkpoint);

}  // namespace sw::runtime
