// Sums per key, as the checkpoint tests compare a restored run's output with what a run never
// stopped computes.
#pragma once

#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include <cstdint>
#include <map>
#include <vector>

namespace sw::test {

using KeySums = std::map<std::uint64_t, std::uint64_t>;

// The sums a run emitted; each key must come once.
inline KeySums sums_of(const std::vector<KeyValue<std::uint64_t, std::uint64_t>>& out) {
  KeySums sums;
  for (const auto& kv : out) CHECK(sums.emplace(kv.key, kv.value).second);
  return sums;
}

// The sums of 0, 1, ..., n - 1 by their value modulo `keys`.
inline KeySums sums_by_modulo(std::uint64_t n, std::uint64_t keys) {
  KeySums sums;
  for (std::uint64_t i = 0; i < n; ++i) sums[i % keys] += i;
  return sums;
}

}  // namespace sw::test
