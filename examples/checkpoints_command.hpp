// `streamweave checkpoints list|inspect DIR`: what a checkpoint directory holds — each
// checkpoint, whether it is complete and loads, its size and duration, the state of each
// operator instance, and the write-ahead logs of the stream sources with where a restarted
// run's input must begin.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sw::examples {

struct CheckpointsSettings {
  std::string dir;
  std::optional<std::uint64_t> id;  // inspect: this checkpoint (default: the newest complete)
};

// `list`: one line per checkpoint, then the logs. Returns the exit code (0, or 1 when DIR is
// not a directory).
int list_checkpoints(const CheckpointsSettings& settings);
// `inspect`: one checkpoint's manifest and files in detail, each file checked. Returns 0, or 1
// when there is no such checkpoint or it does not load.
int inspect_checkpoint(const CheckpointsSettings& settings);

}  // namespace sw::examples
