// Internal: what a run with checkpoints adds to a run in this process — the store, where the
// run starts from (its instances restored), and the coordinator that the run's wait loop
// ticks and its tasks acknowledge.
#pragma once

#include <optional>

#include "coordinator.hpp"
#include "restore.hpp"
#include "store.hpp"

namespace sw::runtime {

class RunCheckpoints {
 public:
  // Refuses instances whose state cannot be saved, restores the instances when `options`
  // picks a checkpoint, and hooks the coordinator to the tasks and to `run`'s wait loop.
  // Build time, main thread, before any task runs. Throws GraphError, CorruptFile,
  // StateError or std::system_error naming what stands in the way.
  RunCheckpoints(const Graph& graph, const Built& built, RunContext& run,
                 const CheckpointOptions& options);

  // After the tasks finished without error or cancel: the final checkpoint, then every
  // instance commits. Main thread.
  void finish_run() { coordinator_->finish_run(); }
  // What the run's checkpoints did; the coordinator stops first, so nothing changes after.
  [[nodiscard]] CheckpointReport final_report();

 private:
  CheckpointStore store_;
  CheckpointReport restored_;
  std::optional<CheckpointCoordinator> coordinator_;
};

}  // namespace sw::runtime
