// Internal: a task with several input slots aligns checkpoint barriers. Once barrier n has
// come from one slot, what that slot sends next belongs after the snapshot: it is held until
// barrier n has come from every other slot still open (an ended slot sends nothing more, so
// it counts as arrived). Then the task snapshots, passes the barrier on, and takes the held
// events in the order they came. The task's own; one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <iterator>
#include <optional>
#include <vector>

#include "../event.hpp"
#include "streamweave/engine/options.hpp"

namespace sw::runtime {

class BarrierAlignment {
 public:
  void set_slots(std::size_t n) {
    arrived_.assign(n, false);
    ended_.assign(n, false);
  }

  // Barrier `id` came on `slot`. Returns true when that completes the alignment: every open
  // slot has sent it.
  [[nodiscard]] bool arrive(std::uint32_t slot, std::uint64_t id) {
    if (!aligning_) {
      aligning_ = id;
      started_ = Clock::now();
    }
    arrived_.at(slot) = true;
    return complete();
  }
  // `slot` ended. Returns true when that completes an alignment in progress.
  [[nodiscard]] bool ended(std::uint32_t slot) {
    ended_.at(slot) = true;
    return aligning_.has_value() && complete();
  }
  // Whether what `slot` sends now waits for the alignment to complete.
  [[nodiscard]] bool holds(std::uint32_t slot) const noexcept {
    return aligning_.has_value() && arrived_[slot];
  }
  void hold(Event&& event) { held_.push_back(std::move(event)); }

  // The checkpoint being aligned, and since when.
  [[nodiscard]] std::optional<std::uint64_t> aligning() const noexcept { return aligning_; }
  [[nodiscard]] Clock::time_point started() const noexcept { return started_; }
  // Whether `slot` has yet to send the barrier being aligned (it has not, and has not ended).
  [[nodiscard]] bool waits_for(std::uint32_t slot) const noexcept {
    return aligning_.has_value() && !arrived_[slot] && !ended_[slot];
  }

  // After arrive() or ended() returned true, or to give the alignment up (an unaligned
  // checkpoint): the checkpoint, how long it aligned, and the events held meanwhile, put in
  // front of `into` in the order they came (what is still in `into` was taken after them);
  // ready for the next.
  std::uint64_t finish(std::deque<Event>& into, Clock::duration& aligning) {
    const std::uint64_t id = *aligning_;
    aligning = Clock::now() - started_;
    aligning_.reset();
    arrived_.assign(arrived_.size(), false);
    into.insert(into.begin(), std::make_move_iterator(held_.begin()),
                std::make_move_iterator(held_.end()));
    held_.clear();
    return id;
  }

 private:
  [[nodiscard]] bool complete() const noexcept {
    for (std::size_t s = 0; s < arrived_.size(); ++s) {
      if (!arrived_[s] && !ended_[s]) return false;
    }
    return true;
  }

  std::optional<std::uint64_t> aligning_;
  Clock::time_point started_{};
  std::vector<bool> arrived_;
  std::vector<bool> ended_;
  std::vector<Event> held_;
};

}  // namespace sw::runtime
