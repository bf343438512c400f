#include "streamweave/engine/latency.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sw {

namespace {

constexpr int kSubBits = 5;  // 32 buckets per power of two
constexpr std::uint64_t kSub = 1u << kSubBits;
constexpr std::size_t kBuckets = (63 - kSubBits + 1) * kSub;

std::size_t bucket_of(std::uint64_t v) noexcept {
  if (v < 2 * kSub) return static_cast<std::size_t>(v);
  const int msb = 63 - std::countl_zero(v);
  const std::uint64_t sub = (v >> (msb - kSubBits)) & (kSub - 1);
  return static_cast<std::size_t>(msb - kSubBits + 1) * kSub + sub;
}

// The middle of bucket `b`.
std::int64_t value_of(std::size_t b) noexcept {
  if (b < 2 * kSub) return static_cast<std::int64_t>(b);
  const int msb = static_cast<int>(b / kSub) + kSubBits - 1;
  const std::uint64_t low = (kSub + b % kSub) << (msb - kSubBits);
  const std::uint64_t width = std::uint64_t{1} << (msb - kSubBits);
  return static_cast<std::int64_t>(low + width / 2);
}

}  // namespace

void LatencyHistogram::record(std::int64_t ns) {
  if (counts.empty()) counts.assign(kBuckets, 0);
  if (ns < 0) {
    ++negative;
    ns = 0;
  }
  ++counts[bucket_of(static_cast<std::uint64_t>(ns))];
  max_ns = std::max(max_ns, ns);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.counts.empty()) return;
  if (counts.empty()) counts.assign(kBuckets, 0);
  for (std::size_t b = 0; b < std::min(counts.size(), other.counts.size()); ++b) {
    counts[b] += other.counts[b];
  }
  max_ns = std::max(max_ns, other.max_ns);
  negative += other.negative;
}

std::uint64_t LatencyHistogram::count() const noexcept {
  std::uint64_t n = 0;
  for (const std::uint64_t c : counts) n += c;
  return n;
}

std::int64_t LatencyHistogram::percentile(double p) const noexcept {
  const std::uint64_t n = count();
  if (n == 0) return 0;
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(n))));
  if (rank >= n) return max_ns;  // the largest value is known exactly
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < counts.size(); ++b) {
    seen += counts[b];
    if (seen >= rank) return std::min(value_of(b), max_ns);
  }
  return max_ns;
}

std::uint64_t LatencyHistogram::count_at_most(std::int64_t ns) const noexcept {
  std::uint64_t n = 0;
  for (std::size_t b = 0; b < counts.size() && value_of(b) <= ns; ++b) n += counts[b];
  return n;
}

double LatencyHistogram::approximate_sum_ns() const noexcept {
  double sum = 0;
  for (std::size_t b = 0; b < counts.size(); ++b) {
    if (counts[b] != 0) sum += static_cast<double>(counts[b]) * static_cast<double>(value_of(b));
  }
  return sum;
}

}  // namespace sw
