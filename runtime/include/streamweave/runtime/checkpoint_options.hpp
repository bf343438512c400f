// Settings of checkpoints (docs/fault_tolerance.md): where they go, how often, how many are
// kept, where a run starts from. Plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>

namespace sw {

struct CheckpointOptions {
  // Where checkpoints go: a directory per checkpoint (chk-<id>) under it, created if needed.
  // Empty: no checkpoints, and sinks commit their output once, at the end.
  std::filesystem::path directory{};
  // How long after one checkpoint completes the next one starts. 0: none while the graph
  // runs; only the final one, at the end of input.
  std::chrono::milliseconds interval{1000};
  // Complete checkpoints kept on disk (at least 1); older ones are removed.
  unsigned retained = 3;
  // Checkpoints that may fail in a row (a full disk, no permission) before the run fails;
  // a failed one is reported and the run goes on meanwhile.
  unsigned tolerable_failures = 3;
  // A checkpoint not complete this long after it started fails (it counts towards
  // tolerable_failures; the run goes on and the next one starts an interval later).
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  // Unaligned under backpressure, when set: a task with several inputs that has waited this
  // long for a checkpoint's barrier on all of them snapshots at once, passes the barrier on,
  // and saves the batches that reach it before the barrier on the others (its in-flight
  // input) with the checkpoint. 0: unaligned at once; nullopt: always aligned. Savepoints
  // stay aligned. A checkpoint that saved in-flight input restores only with the same
  // parallelism of those tasks; items without a binary codec keep their task aligned.
  std::optional<std::chrono::milliseconds> alignment_timeout{std::chrono::seconds(1)};
  // When the run is stopped (RunOptions::cancel or deadline), first take a checkpoint — a
  // savepoint — and stop once it completes (or fails), so that a restored run goes on from
  // the moment of the stop. Without it, a stopped run's restart goes back to the last
  // periodic checkpoint.
  bool savepoint_on_stop = false;
  // Where a run starts: the latest complete checkpoint in `directory` when there is one
  // (a damaged one is skipped for the one before it); the given one (restore_id, which must
  // be complete); or afresh, ignoring what is there (fresh).
  std::optional<std::uint64_t> restore_id{};
  bool fresh = false;

  [[nodiscard]] bool enabled() const noexcept { return !directory.empty(); }
};

}  // namespace sw
