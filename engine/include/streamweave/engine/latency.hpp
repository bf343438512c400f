// Latency: a histogram of durations in nanoseconds with log-linear buckets (32 per power of
// two: each value is kept to within 3 %), the way HdrHistogram does it, in 15 KiB. The
// measure_latency operator records into one per instance; the report merges them (also
// across ranks) and gives percentiles.
// Thread safety: none; each instance records into its own, read after the run.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace sw {

struct LatencyHistogram {
  std::vector<std::uint64_t> counts;  // per bucket; empty until something is recorded
  std::int64_t max_ns = 0;
  std::uint64_t negative = 0;  // stamps in the future (clocks apart): recorded as 0

  // Records one duration; a negative one counts as 0 (and in `negative`).
  void record(std::int64_t ns);
  // Adds another histogram's counts (another instance's or rank's).
  void merge(const LatencyHistogram& other);
  [[nodiscard]] std::uint64_t count() const noexcept;
  // The p-th percentile (0 < p <= 100) in ns, the middle of its bucket (0 when empty).
  [[nodiscard]] std::int64_t percentile(double p) const noexcept;
  // How many recorded durations were at most `ns`, to within a bucket (3 %): the buckets
  // whose middle is <= ns (Prometheus' cumulative buckets).
  [[nodiscard]] std::uint64_t count_at_most(std::int64_t ns) const noexcept;
  // The sum of the recorded durations in ns, each taken as the middle of its bucket.
  [[nodiscard]] double approximate_sum_ns() const noexcept;
};

// Nanoseconds since the epoch (the system clock): what items are stamped with when they enter,
// so that a later node, on any thread or rank of the machine, can say how long they took.
[[nodiscard]] inline std::int64_t wall_clock_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sw
