// Internal: one operator instance's state, as its task snapshotted it for a checkpoint; or
// the batches its task's inputs had in flight (an unaligned checkpoint).
#pragma once

#include <cstdint>
#include <vector>

#include "streamweave/engine/node.hpp"
#include "streamweave/engine/options.hpp"
#include "streamweave/serde/bytes.hpp"
#include "streamweave/serde/checkpoint_manifest.hpp"

namespace sw::runtime {

struct InstanceSnapshot {
  NodeId node = 0;
  unsigned instance = 0;
  std::uint64_t entries = 0;   // keyed entries in it; items in flight
  std::vector<Bytes> payload;  // StateWriter::finish_pieces(), or frames: the file's pieces
  StateFileKind kind = StateFileKind::operator_state;
  Clock::duration took{0};  // to copy the state (encode it): the instance's pause
};

}  // namespace sw::runtime
