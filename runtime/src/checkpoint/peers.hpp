// Internal: the other ranks of a distributed run, as the checkpoint coordinator sees them.
// Rank 0 leads: it starts every checkpoint, writes its manifest once every rank acknowledged
// its part, and tells them the outcome; the other ranks follow. The session implements it
// over the control channel and hands what arrives to CheckpointListener.
#pragma once

#include <cstdint>

#include "streamweave/serde/control.hpp"

namespace sw::runtime {

// Where every rank's run starts, as rank 0 chose it.
struct RestoreChoice {
  bool failed = false;           // rank 0 could not open or read its checkpoints
  std::uint64_t restore_id = 0;  // 0: afresh
  std::uint64_t next_id = 1;     // of the run's first checkpoint
};

class CheckpointPeers {
 public:
  virtual ~CheckpointPeers() = default;
  [[nodiscard]] virtual unsigned rank() const noexcept = 0;
  [[nodiscard]] virtual unsigned ranks() const noexcept = 0;
  // Collective, before the run starts: every rank gets rank 0's `choice` (the others' is
  // ignored). Main thread; every rank calls it once, even one whose build failed.
  [[nodiscard]] virtual RestoreChoice agree(RestoreChoice choice) = 0;
  // Sends `message` to rank `to`; the communication thread sends it. Any thread; nothing is
  // sent once this rank's sends are closed (the run is ending).
  virtual void send(unsigned to, ControlMessage message) = 0;
};

// What the coordinator takes from the other ranks. The communication thread.
class CheckpointListener {
 public:
  virtual ~CheckpointListener() = default;
  virtual void on_checkpoint_message(unsigned from, const ControlMessage& message) = 0;
};

}  // namespace sw::runtime
