// Pipeline P of the engine-core benchmark: generate events {auction, bidder, price, ts},
// map price × 0.908, filter auction % 123 != 0, keyed sum of price per auction.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <map>

namespace sw::bench {

struct Event {
  std::uint64_t auction;
  std::uint64_t bidder;
  std::int64_t price;
  std::uint64_t ts;
};

inline constexpr std::uint64_t kAuctions = 10000;

// Cheap and deterministic; every contender calls it once per event.
inline Event make_event(std::uint64_t i) noexcept {
  return Event{((i * 0x9E3779B97F4A7C15ULL) >> 40) % kAuctions, i % 1000,
               static_cast<std::int64_t>(100 + (i * 31) % 10000), i};
}
inline void to_euro(Event& e) noexcept {
  e.price = e.price * 908 / 1000;
}
inline bool keep(const Event& e) noexcept {
  return e.auction % 123 != 0;
}

using Sums = std::map<std::uint64_t, std::int64_t>;
using FastSums = boost::unordered_flat_map<std::uint64_t, std::int64_t>;

inline Sums ordered(const FastSums& sums) {
  return Sums(sums.begin(), sums.end());
}

}  // namespace sw::bench
