// IndexRanges: what a source instance that emits items by index (generate, from) still has
// to emit, as [begin, end) ranges, and its checkpointed state. One range at first: the
// instance's contiguous share of [0, count). Restored with another parallelism, the ranges
// the old instances had left are dealt out among the new ones, each to exactly one. The
// source's task only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "streamweave/engine/state.hpp"
#include "streamweave/serde/hash.hpp"

namespace sw::detail {

// [begin, end) of instance i of n over [0, count).
inline std::pair<std::uint64_t, std::uint64_t> split_range(std::uint64_t count, unsigned i,
                                                           unsigned n) noexcept {
  const auto at = [&](unsigned k) {
    return static_cast<std::uint64_t>(static_cast<uint128_t>(count) * k / n);
  };
  return {at(i), at(i + 1)};
}

using IndexRange = std::pair<std::uint64_t, std::uint64_t>;  // [begin, end)

// The ranges a restored instance goes on with: in the same layout, those it saved; else the
// ranges every old instance had left, in ascending order, dealt out among the new instances in
// turn, so that each goes to exactly one. An instance reads its ranges in ascending order
// because event time follows the index in most inputs (a log file, a generator): read out of
// order, its watermark would pass items it has yet to read, and they would be late.
// `read(BinaryReader&)` reads one instance's saved ranges from its values.
template <class Read>
std::vector<IndexRange> restored_ranges(StateReader& state, unsigned instance, unsigned parallelism,
                                        Read&& read) {
  if (state.same_layout()) {
    BinaryReader values(state.values());
    return read(values);
  }
  std::vector<IndexRange> all;
  for (const Bytes& saved : state.all_values()) {
    BinaryReader values(saved);
    for (const IndexRange& range : read(values)) all.push_back(range);
  }
  std::sort(all.begin(), all.end());
  std::vector<IndexRange> mine;
  for (std::size_t i = instance; i < all.size(); i += parallelism) mine.push_back(all[i]);
  return mine;
}

class IndexRanges {
 public:
  IndexRanges(std::uint64_t count, unsigned instance, unsigned parallelism) {
    const auto range = split_range(count, instance, parallelism);
    if (range.first < range.second) left_.push_back(range);
  }

  [[nodiscard]] bool empty() const noexcept { return left_.empty(); }
  // The next at most `max` indices, [begin, end), taken out; empty when none are left.
  std::pair<std::uint64_t, std::uint64_t> take(std::uint64_t max) noexcept {
    if (left_.empty()) return {0, 0};
    auto& [begin, end] = left_.front();
    const std::pair<std::uint64_t, std::uint64_t> taken{begin,
                                                        end - begin < max ? end : begin + max};
    begin = taken.second;
    if (begin == end) left_.erase(left_.begin());
    return taken;
  }

  void snapshot(StateWriter& state) const { state.value(left_); }
  void restore(StateReader& state, unsigned instance, unsigned parallelism) {
    left_ = restored_ranges(state, instance, parallelism, [](BinaryReader& values) {
      std::vector<IndexRange> ranges;
      values.read(ranges);
      return ranges;
    });
  }

 private:
  std::vector<IndexRange> left_;
};

}  // namespace sw::detail
