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
  // Where a run starts: the latest complete checkpoint in `directory` when there is one
  // (a damaged one is skipped for the one before it); the given one (restore_id, which must
  // be complete); or afresh, ignoring what is there (fresh).
  std::optional<std::uint64_t> restore_id{};
  bool fresh = false;

  [[nodiscard]] bool enabled() const noexcept { return !directory.empty(); }
};

}  // namespace sw
