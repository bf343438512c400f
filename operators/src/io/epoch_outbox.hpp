// Internal to the checkpointed sinks of external systems (Redis, PostgreSQL): what they hold
// between two barriers, sealed as an epoch when a checkpoint is taken, saved in it, and
// handed to the sink's commit once that checkpoint completes. The commit records
// (origin, epoch) with the data in one atomic step on the other side, so a restored run
// commits again what a crash cut short and the other side skips what it already has.
#pragma once

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/state.hpp"
#include "streamweave/serde/binary.hpp"

namespace sw::detail {

// The entries of one epoch, back to back in `data`: entry i ends at ends[i].
struct HeldEpoch {
  std::string origin;  // "node/instance@lineage" of the instance that took them
  std::uint64_t number = 0;
  std::string data;
  std::vector<std::uint64_t> ends;

  [[nodiscard]] std::size_t size() const noexcept { return ends.size(); }
  [[nodiscard]] std::string_view entry(std::size_t i) const noexcept {
    const std::uint64_t first = i == 0 ? 0 : ends[i - 1];
    return std::string_view(data).substr(first, ends[i] - first);
  }
  // The bytes of entries [first, last).
  [[nodiscard]] std::string_view entries(std::size_t first, std::size_t last) const noexcept {
    const std::uint64_t from = first == 0 ? 0 : ends[first - 1];
    const std::uint64_t to = last == 0 ? 0 : ends[last - 1];
    return std::string_view(data).substr(from, to - from);
  }
};

// The sink's task owns it; nothing here is shared.
//
// An origin is "node/instance@lineage". A run that starts afresh draws a new lineage, so its
// epochs 1, 2, ... are not taken for those of an earlier job that wrote to the same place; a
// restored run keeps the lineage of its checkpoint and numbers its epochs after the highest
// saved, so they come after every epoch of the run it continues.
class EpochOutbox {
 public:
  explicit EpochOutbox(const InstanceContext& ctx) : ctx_(ctx) {
    std::random_device random;
    set_lineage((std::uint64_t{random()} << 32) | random());
  }

  // Where the next entry's bytes go; end_entry() closes it.
  [[nodiscard]] std::string& data() noexcept { return open_.data; }
  void end_entry() { open_.ends.push_back(open_.data.size()); }
  // Cuts off what was written into data() since the last entry ended.
  void drop_open_entry() noexcept { open_.data.resize(open_.ends.empty() ? 0 : open_.ends.back()); }
  void add(std::string_view entry) {
    open_.data.append(entry);
    end_entry();
  }
  [[nodiscard]] const std::string& origin() const noexcept { return origin_; }

  // Seals the open epoch for the checkpoint `state` is for, and saves every sealed one.
  void snapshot(StateWriter& state) {
    open_.number = ++epoch_;
    sealed_.push_back(Sealed{std::move(open_), state.checkpoint(), false});
    open_ = HeldEpoch{origin_, 0, {}, {}};
    state.value(epoch_);
    state.value(lineage_);
    state.value(static_cast<std::uint64_t>(sealed_.size()));
    for (const Sealed& s : sealed_) state.value(s.epoch);
  }

  // Each old instance's sealed epochs; this instance commits those of the old instances j
  // with j % parallelism == its own, at the first completion (their checkpoint completed:
  // the run restored from it).
  void restore(StateReader& state) {
    const std::vector<Bytes> saved = state.all_values();
    for (std::size_t j = 0; j < saved.size(); ++j) {
      if (saved[j].empty()) continue;
      BinaryReader in(saved[j]);
      epoch_ = std::max(epoch_, in.read<std::uint64_t>());
      set_lineage(in.read<std::uint64_t>());
      const auto n = in.read<std::uint64_t>();
      for (std::uint64_t i = 0; i < n; ++i) {
        Sealed s{in.read<HeldEpoch>(), 0, true};
        // Same layout: this instance's own state, the only one given.
        if (state.same_layout() || j % ctx_.parallelism == ctx_.instance) {
          sealed_.push_back(std::move(s));
        }
      }
    }
  }

  // Hands each epoch that checkpoint `id` covers to commit(const HeldEpoch&), oldest first:
  // its own and older ones, restored ones, and once `finished` the final one (sealed for
  // checkpoint 0). An epoch leaves the outbox only when its commit returned.
  template <class Commit>
  void commit_due(std::uint64_t id, bool finished, Commit&& commit) {
    auto due = [&](const Sealed& s) {
      return s.restored || (s.checkpoint != 0 && s.checkpoint <= id) ||
             (s.checkpoint == 0 && finished);
    };
    while (!sealed_.empty() && due(sealed_.front())) {
      commit(std::as_const(sealed_.front().epoch));
      sealed_.erase(sealed_.begin());
    }
  }

 private:
  void set_lineage(std::uint64_t lineage) {
    lineage_ = lineage;
    origin_ = *ctx_.node + "/" + std::to_string(ctx_.instance) + "@" + std::to_string(lineage);
    open_.origin = origin_;
  }

  struct Sealed {
    HeldEpoch epoch;
    std::uint64_t checkpoint = 0;  // 0: the final checkpoint
    bool restored = false;         // its checkpoint completed before the restart
  };
  InstanceContext ctx_;
  std::string origin_;
  HeldEpoch open_;
  std::uint64_t epoch_ = 0;  // barriers this instance passed (restored: the most saved)
  std::uint64_t lineage_ = 0;
  std::vector<Sealed> sealed_;
};

}  // namespace sw::detail
