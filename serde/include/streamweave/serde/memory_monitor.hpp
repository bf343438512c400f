// Memory pressure: the process's resident memory and a buffer pool's bytes against
// thresholds, as a level normal / high / critical. At high or above the monitor trims what
// the pool keeps for reuse (and, at critical, gives the allocator's free pages back to the
// system); the executor samples it while a graph runs, throttles its sources at high and
// pauses them at critical, and reports the worst level and the peak RSS in RunReport.
//
// Thread safety: MemoryMonitor belongs to one thread; the free functions to any.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "streamweave/serde/buffer_pool.hpp"

namespace sw {

enum class MemoryPressure : std::uint8_t { normal, high, critical };

[[nodiscard]] std::string_view to_string(MemoryPressure level) noexcept;

struct MemoryLimits {
  // Resident set size at which pressure is high / critical; 0: 75 % / 90 % of physical RAM.
  std::size_t high_rss_bytes = 0;
  std::size_t critical_rss_bytes = 0;
  // Pool bytes (kept for reuse + handed out) at which pressure is high; 0: no pool limit.
  std::size_t high_pool_bytes = 0;
  // How long a run's sources may stay paused at critical before the run fails with
  // MemoryExhausted (memory that does not fall with no input coming in is held by the job
  // itself: waiting longer would only hang it); 0: 60 s.
  std::uint64_t critical_pause_limit_ms = 0;

  // `defaults`, overridden by STREAMWEAVE_MEMORY_HIGH_RSS_BYTES,
  // STREAMWEAVE_MEMORY_CRITICAL_RSS_BYTES, STREAMWEAVE_MEMORY_HIGH_POOL_BYTES and
  // STREAMWEAVE_MEMORY_CRITICAL_PAUSE_LIMIT_MS when set.
  // Throws std::invalid_argument naming a variable that is not a positive integer.
  [[nodiscard]] static MemoryLimits from_env(MemoryLimits defaults);
  [[nodiscard]] static MemoryLimits from_env();
};

// The resident set size of this process (from /proc/self/statm), 0 if unknown.
[[nodiscard]] std::size_t process_rss_bytes() noexcept;
// Physical memory of the machine, 0 if unknown.
[[nodiscard]] std::size_t physical_memory_bytes() noexcept;

// A run whose memory stayed at critical for longer than the pause limit, its sources paused.
class MemoryExhausted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class MemoryMonitor {
 public:
  MemoryMonitor(BufferPool& pool, MemoryLimits limits) noexcept;

  // Measures now; trims the pool at high or critical, and the allocator's free pages at
  // critical. Returns the level.
  MemoryPressure sample() noexcept;
  // The level a measurement would give for these figures (no side effects).
  [[nodiscard]] MemoryPressure level_for(std::size_t rss_bytes,
                                         std::size_t pool_bytes) const noexcept;

  [[nodiscard]] MemoryPressure worst() const noexcept { return worst_; }
  [[nodiscard]] std::size_t peak_rss_bytes() const noexcept { return peak_rss_; }
  [[nodiscard]] std::uint64_t trims() const noexcept { return trims_; }
  [[nodiscard]] const MemoryLimits& limits() const noexcept { return limits_; }

 private:
  BufferPool* pool_;
  MemoryLimits limits_;
  MemoryPressure worst_ = MemoryPressure::normal;
  std::size_t peak_rss_ = 0;
  std::uint64_t trims_ = 0;
};

}  // namespace sw
