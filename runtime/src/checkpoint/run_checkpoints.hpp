// Internal: what a run with checkpoints adds to a run in this process — the store, where the
// run starts from (its instances restored), and the coordinator that the run's wait loop
// ticks and its tasks acknowledge. In a distributed run each rank has one: rank 0 chooses
// the checkpoint to restore and locks the directory, which every rank must see.
#pragma once

#include <optional>

#include "coordinator.hpp"
#include "peers.hpp"
#include "restore.hpp"
#include "store.hpp"

namespace sw::runtime {

class RunCheckpoints {
 public:
  // Refuses instances whose state cannot be saved, restores the instances when `options`
  // picks a checkpoint, and hooks the coordinator to the tasks and to `run`'s wait loop;
  // `peers`, in a distributed run, first agrees with the other ranks where the run starts
  // (collective: see CheckpointPeers::agree). Build time, main thread, before any task runs.
  // Throws GraphError, CorruptFile, StateError or std::system_error naming what stands in
  // the way; RemoteFailure on another rank when rank 0 could not choose.
  RunCheckpoints(const Graph& graph, const Built& built, RunContext& run,
                 const CheckpointOptions& options, CheckpointPeers* peers = nullptr);

  // After the tasks finished without error or cancel: the final checkpoint, then every
  // instance commits. Main thread.
  void finish_run() { coordinator_->finish_run(); }
  // What the run's checkpoints did; the coordinator stops first, so nothing changes after.
  [[nodiscard]] CheckpointReport final_report();
  // What they did so far, while the run goes on. Any thread.
  [[nodiscard]] CheckpointReport report_so_far() const;
  // The coordinator, for the messages of the other ranks.
  [[nodiscard]] CheckpointListener& listener() noexcept { return *coordinator_; }

 private:
  // Where the run starts: chosen here, or (distributed) by rank 0 and loaded here.
  RestorePoint restore_point(const CheckpointOptions& options, CheckpointPeers* peers);

  std::optional<CheckpointStore> store_;
  CheckpointReport restored_;
  std::optional<CheckpointCoordinator> coordinator_;
};

}  // namespace sw::runtime
