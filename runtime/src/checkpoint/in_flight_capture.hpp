// Internal: an unaligned checkpoint at a task with several input slots. When aligning barrier
// n takes longer than CheckpointOptions::alignment_timeout, the task snapshots at once and
// passes the barrier on; what the slots whose barrier has not come yet send before it was
// sent before their producers' snapshots, yet reaches the task after its own: neither side's
// state holds it. The capture keeps a copy of those batches, as frames, until every such slot
// has sent its barrier (or ended); then the task acknowledges its snapshot with them, and a
// restored task takes them before anything else (Flink's unaligned checkpoints, for the input
// side). The task's own; one thread.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <vector>

#include "snapshot.hpp"
#include "streamweave/engine/batch_codec.hpp"
#include "streamweave/engine/options.hpp"

namespace sw::runtime {

// Where one of a task's input slots comes from.
struct InputSlot {
  std::uint32_t edge = 0;               // in Graph::edges()
  std::uint32_t producer_instance = 0;  // of the edge's producer (0 for a forward edge)
  const BatchCodec* codec = nullptr;    // of its items; null: they cannot be saved
};

class InFlightCapture {
 public:
  // Checkpoint `id` passed unaligned: `states` is the task's snapshot, taken after waiting
  // `aligning`; the slots `pending` have yet to send barrier `id`.
  void start(std::uint64_t id, std::vector<bool> pending, std::vector<InstanceSnapshot> states,
             Clock::duration aligning, BufferPool& buffers) {
    id_ = id;
    pending_ = std::move(pending);
    states_ = std::move(states);
    aligning_ = aligning;
    frames_.emplace(buffers);
    items_ = 0;
    sequence_ = 0;
  }
  [[nodiscard]] bool active() const noexcept { return id_.has_value(); }
  [[nodiscard]] std::uint64_t id() const noexcept { return *id_; }
  // Whether what `slot` sends now belongs to the checkpoint (came before its barrier).
  [[nodiscard]] bool pending(std::uint32_t slot) const noexcept {
    return id_.has_value() && pending_[slot];
  }
  // Keeps a copy of `batch`, which came on pending slot `from` of instance `instance`. When
  // that fails (an item over the frame limit, no memory), the checkpoint is to fail: error().
  void record(const BatchBase& batch, const InputSlot& from, unsigned instance,
              BufferPool& buffers) noexcept {
    if (error_) return;
    try {
      encode(batch, from, instance, buffers);
    } catch (...) {
      error_ = std::current_exception();
    }
  }
  // `slot` sent the barrier or ended. Returns true when no slot is pending any more.
  [[nodiscard]] bool arrived(std::uint32_t slot) {
    pending_.at(slot) = false;
    for (const bool p : pending_) {
      if (p) return false;
    }
    return true;
  }
  // Why the in-flight batches could not be kept; null when they were.
  [[nodiscard]] std::exception_ptr error() const noexcept { return error_; }
  // After arrived() returned true: the snapshot and the in-flight batches of instance
  // `instance` of node `head` (what its task's input feeds), and the alignment's wait. Ready
  // for the next.
  std::vector<InstanceSnapshot> finish(NodeId head, unsigned instance, Clock::duration& aligning) {
    std::vector<InstanceSnapshot> states = std::move(states_);
    if (frames_->size() != 0) {
      states.push_back(
          InstanceSnapshot{head, instance, items_, {frames_->freeze()}, StateFileKind::in_flight});
    }
    aligning = aligning_;
    id_.reset();
    frames_.reset();
    states_.clear();
    error_ = nullptr;
    return states;
  }

 private:
  void encode(const BatchBase& batch, const InputSlot& from, unsigned instance,
              BufferPool& buffers) {
    FrameHeader header;
    header.edge = from.edge;
    header.source_instance = from.producer_instance;
    header.target_instance = instance;
    header.sequence = sequence_;
    FrameLimits limits;
    limits.splice_min_bytes = 0;  // one contiguous file: every value copied into its frame
    encoded_.clear();
    sequence_ = from.codec->encode(batch, header, encoded_, limits, buffers);
    for (const SplicedFrame& frame : encoded_)
      frames_->append(frame.head.data(), frame.head.size());
    items_ += batch.size();
  }

  std::optional<std::uint64_t> id_;
  std::vector<bool> pending_;
  std::vector<InstanceSnapshot> states_;
  Clock::duration aligning_{};
  std::optional<BytesMut> frames_;
  std::vector<SplicedFrame> encoded_;
  std::uint64_t items_ = 0;
  std::uint64_t sequence_ = 0;
  std::exception_ptr error_;
};

}  // namespace sw::runtime
