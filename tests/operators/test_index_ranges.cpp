// IndexRanges: a source's indices left to emit, split over instances without gaps or
// overlaps, and dealt out anew when restored with another parallelism.
#include <catch2/catch.hpp>
#include <streamweave/operators/index_ranges.hpp>

#include <algorithm>
#include <limits>
#include <set>

namespace {

std::vector<std::uint64_t> drain(sw::detail::IndexRanges& r, std::uint64_t step) {
  std::vector<std::uint64_t> out;
  while (!r.empty()) {
    const auto [begin, end] = r.take(step);
    REQUIRE(begin < end);
    REQUIRE(end - begin <= step);
    for (std::uint64_t i = begin; i < end; ++i) out.push_back(i);
  }
  return out;
}

}  // namespace

TEST_CASE("split_range covers 0 to n without gaps or overlaps, also near the maximum") {
  for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{5}, std::uint64_t{1000},
                          std::numeric_limits<std::uint64_t>::max()}) {
    for (unsigned parts : {1u, 3u, 8u}) {
      std::uint64_t expected_begin = 0;
      for (unsigned i = 0; i < parts; ++i) {
        const auto [begin, end] = sw::detail::split_range(n, i, parts);
        CHECK(begin == expected_begin);
        CHECK(end >= begin);
        expected_begin = end;
      }
      CHECK(expected_begin == n);
    }
  }
}

TEST_CASE("index ranges restored with another parallelism emit each index left once") {
  for (const unsigned before : {1u, 2u, 5u}) {
    for (const unsigned after : {1u, 2u, 3u, 5u}) {
      INFO(before << " instances restored into " << after);
      std::vector<sw::SavedState> saved;
      std::set<std::uint64_t> emitted;
      for (unsigned i = 0; i < before; ++i) {
        sw::detail::IndexRanges r(1000, i, before);
        for (int k = 0; k < 3; ++k) {  // some emitted before the checkpoint
          const auto [begin, end] = r.take(37);
          for (std::uint64_t x = begin; x < end; ++x) emitted.insert(x);
        }
        sw::StateWriter w;
        r.snapshot(w);
        saved.push_back({i, before, w.finish(), "s"});
      }
      std::set<std::uint64_t> all = emitted;
      for (unsigned i = 0; i < after; ++i) {
        sw::detail::IndexRanges r(1000, i, after);
        std::vector<sw::SavedState> files = saved;
        if (before == after) files = {saved[i]};
        sw::StateReader state(files, i, after);
        r.restore(state, i, after);
        for (const std::uint64_t x : drain(r, 100)) CHECK(all.insert(x).second);
      }
      CHECK(all.size() == 1000);
      CHECK(*all.rbegin() == 999);
    }
  }
}

TEST_CASE("index ranges rescaled again and again are read in ascending order by every instance") {
  // 3 -> 2 -> 3 -> 1 instances: the old instances' ranges interleave (instance 0 of 2 holds the
  // first and the last third), so dealing them out in the old instances' order would hand the
  // last instance a later range before an earlier one, and its watermark would make the earlier
  // one late.
  std::vector<sw::SavedState> saved;
  unsigned before = 3;
  std::vector<sw::detail::IndexRanges> instances;
  for (unsigned i = 0; i < before; ++i) instances.emplace_back(3000, i, before);
  std::set<std::uint64_t> emitted;
  for (const unsigned after : {2u, 3u, 1u}) {
    saved.clear();
    for (unsigned i = 0; i < before; ++i) {
      const auto [begin, end] = instances[i].take(50);
      for (std::uint64_t x = begin; x < end; ++x) CHECK(emitted.insert(x).second);
      sw::StateWriter w;
      instances[i].snapshot(w);
      saved.push_back({i, before, w.finish(), "s"});
    }
    instances.clear();
    for (unsigned i = 0; i < after; ++i) {
      instances.emplace_back(3000, i, after);
      sw::StateReader state(saved, i, after);
      instances.back().restore(state, i, after);
    }
    before = after;
  }
  const std::vector<std::uint64_t> rest = drain(instances[0], 64);
  CHECK(std::is_sorted(rest.begin(), rest.end()));
  for (const std::uint64_t x : rest) CHECK(emitted.insert(x).second);
  CHECK(emitted.size() == 3000);
}
