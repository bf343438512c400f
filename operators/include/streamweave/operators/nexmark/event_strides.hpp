// EventStrides: which events a NEXMark source instance makes, and its checkpointed state.
// Instance i of n makes events k = i, i + n, i + 2n, ... in order. Restored with another
// parallelism, it goes on with its new stride from the lowest position the old instances had
// reached, skipping every event one of them had made; those old positions are saved with its
// own, so that a run restored from its checkpoints — in any layout — skips them too. The
// source's task only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "streamweave/engine/state.hpp"

namespace sw::nexmark {

class EventStrides {
 public:
  EventStrides(unsigned instance, unsigned parallelism) noexcept
      : next_(instance), stride_(parallelism), instance_(instance) {}

  // The event to make next (unless made_before()); a reference, which advance() moves on (a
  // failure names the event being made: SourceBase::guarded_at).
  [[nodiscard]] const std::uint64_t& next() const noexcept { return next_; }
  // Whether an earlier run made next() already: the instance skips it.
  [[nodiscard]] bool made_before() const noexcept {
    if (next_ >= made_below_) return false;
    for (const auto& positions : earlier_) {
      if (next_ < positions[next_ % positions.size()]) return true;
    }
    return false;
  }
  void advance() noexcept { next_ += stride_; }

  void snapshot(StateWriter& state);
  // Throws StateError naming `node` when the saved instances do not each hold one stride.
  void restore(StateReader& state, const std::string& node);

 private:
  std::uint64_t next_;
  std::uint64_t stride_;
  unsigned instance_;
  // For each earlier layout this instance has yet to pass: its instances' next events, by
  // k % their count (instance i of n had made every event k = i (mod n) below it).
  std::vector<std::vector<std::uint64_t>> earlier_;
  std::uint64_t made_below_ = 0;  // no earlier layout made an event at or above it
};

}  // namespace sw::nexmark
