// Control messages: what ranks tell each other besides frames of items — a producer's
// end-of-stream on an exchange route, credits given back, an abort, and the checkpoint
// protocol (rank 0 starts and settles each checkpoint; every rank acknowledges its part). Small
// values in the binary codec behind a 6-byte header:
//
//   0 magic "SWC1" u32   4 version u16   6 the message: a variant (index, then its fields)
//
// A new kind of message (a checkpoint barrier) is one more alternative at the end of
// ControlMessage; an older reader refuses it by name instead of misreading it. Pure
// functions over their arguments: any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "streamweave/serde/binary.hpp"
#include "streamweave/serde/bytes.hpp"
#include "streamweave/serde/checkpoint_manifest.hpp"

namespace sw {

inline constexpr std::uint32_t kControlMagic = 0x31435753;  // "SWC1" as bytes on the wire
inline constexpr std::uint16_t kControlVersion = 1;
inline constexpr std::size_t kControlHeaderBytes = 6;

// Producer instance `source` of an exchange edge sent its last frame on route `route`.
struct EndOfStreamMessage {
  std::uint32_t route = 0;
  std::uint32_t source = 0;
  friend bool operator==(const EndOfStreamMessage&, const EndOfStreamMessage&) = default;
};

// The receiver freed `frames` buffers of route `route`: the sender may send that many more.
struct CreditGrant {
  std::uint32_t route = 0;
  std::uint32_t frames = 0;
  friend bool operator==(const CreditGrant&, const CreditGrant&) = default;
};
struct CreditMessage {
  std::vector<CreditGrant> grants;
  friend bool operator==(const CreditMessage&, const CreditMessage&) = default;
};

// The sender stopped: with `error` empty it was cancelled (a deadline, a cancel token),
// otherwise it failed with that error.
struct AbortMessage {
  std::string error;
  friend bool operator==(const AbortMessage&, const AbortMessage&) = default;
};

// Rank 0 started checkpoint `id` (its directory exists): inject its barriers at your
// sources. `final`: every rank's tasks have finished; `savepoint`: it must stay aligned.
struct CheckpointStartMessage {
  std::uint64_t id = 0;
  bool final = false;
  bool savepoint = false;
  friend bool operator==(const CheckpointStartMessage&, const CheckpointStartMessage&) = default;
};

// The sender's part of checkpoint `id` is on disk: its state files, or `error` (not empty)
// when it could not take or write them.
struct CheckpointAckMessage {
  std::uint64_t id = 0;
  std::vector<StateFileEntry> files;
  std::uint64_t alignment_us = 0;  // the longest one of its tasks waited to align
  std::uint64_t snapshot_us = 0;   // the longest one of its instances took to copy its state
  bool unaligned = false;          // some task of it passed the barrier unaligned
  std::string error;
  friend bool operator==(const CheckpointAckMessage&, const CheckpointAckMessage&) = default;
};

// Rank 0 settled checkpoint `id`: `completed` (its manifest is written: commit), or failed.
struct CheckpointDoneMessage {
  std::uint64_t id = 0;
  bool completed = false;
  friend bool operator==(const CheckpointDoneMessage&, const CheckpointDoneMessage&) = default;
};

// Every task of the sender finished without error: rank 0 may take the final checkpoint once
// every rank said so.
struct TasksFinishedMessage {
  friend bool operator==(const TasksFinishedMessage&, const TasksFinishedMessage&) = default;
};

using ControlMessage =
    std::variant<EndOfStreamMessage, CreditMessage, AbortMessage, CheckpointStartMessage,
                 CheckpointAckMessage, CheckpointDoneMessage, TasksFinishedMessage>;

// The message with its header, in a buffer from `pool`.
[[nodiscard]] Bytes encode_control(const ControlMessage& message,
                                   BufferPool& pool = BufferPool::global());
// The message in `bytes`. Throws FrameError (type "control message") naming the field and
// offset when the magic, the version or the message is wrong, or bytes are left over.
[[nodiscard]] ControlMessage parse_control(const Bytes& bytes);

}  // namespace sw
