// Internal: one operator instance's state, as its task snapshotted it for a checkpoint.
#pragma once

#include <cstdint>

#include "streamweave/engine/node.hpp"
#include "streamweave/serde/bytes.hpp"

namespace sw::runtime {

struct InstanceSnapshot {
  NodeId node = 0;
  unsigned instance = 0;
  std::uint64_t entries = 0;  // keyed entries in it
  Bytes payload;              // StateWriter::finish()
};

}  // namespace sw::runtime
