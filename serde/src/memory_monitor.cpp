#include "streamweave/serde/memory_monitor.hpp"

#include "env.hpp"

#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace sw {

std::string_view to_string(MemoryPressure level) noexcept {
  switch (level) {
    case MemoryPressure::normal:
      return "normal";
    case MemoryPressure::high:
      return "high";
    case MemoryPressure::critical:
      return "critical";
  }
  return "?";
}

MemoryLimits MemoryLimits::from_env() {
  return from_env(MemoryLimits{});
}

MemoryLimits MemoryLimits::from_env(MemoryLimits d) {
  d.high_rss_bytes = detail::env_positive("STREAMWEAVE_MEMORY_HIGH_RSS_BYTES", d.high_rss_bytes);
  d.critical_rss_bytes =
      detail::env_positive("STREAMWEAVE_MEMORY_CRITICAL_RSS_BYTES", d.critical_rss_bytes);
  d.high_pool_bytes = detail::env_positive("STREAMWEAVE_MEMORY_HIGH_POOL_BYTES", d.high_pool_bytes);
  d.critical_pause_limit_ms =
      detail::env_positive("STREAMWEAVE_MEMORY_CRITICAL_PAUSE_LIMIT_MS", d.critical_pause_limit_ms);
  return d;
}

std::size_t process_rss_bytes() noexcept {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0;
  unsigned long resident = 0;
  const int read = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (read != 2) return 0;
  return static_cast<std::size_t>(resident) * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

std::size_t physical_memory_bytes() noexcept {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return 0;
  return static_cast<std::size_t>(pages) * static_cast<std::size_t>(page);
}

MemoryMonitor::MemoryMonitor(BufferPool& pool, MemoryLimits limits) noexcept
    : pool_(&pool), limits_(limits) {
  const std::size_t ram = physical_memory_bytes();
  if (limits_.high_rss_bytes == 0) limits_.high_rss_bytes = ram / 4 * 3;
  if (limits_.critical_rss_bytes == 0) limits_.critical_rss_bytes = ram / 10 * 9;
  if (limits_.critical_pause_limit_ms == 0) limits_.critical_pause_limit_ms = 60'000;
}

MemoryPressure MemoryMonitor::level_for(std::size_t rss, std::size_t pool_bytes) const noexcept {
  if (limits_.critical_rss_bytes != 0 && rss >= limits_.critical_rss_bytes) {
    return MemoryPressure::critical;
  }
  if ((limits_.high_rss_bytes != 0 && rss >= limits_.high_rss_bytes) ||
      (limits_.high_pool_bytes != 0 && pool_bytes >= limits_.high_pool_bytes)) {
    return MemoryPressure::high;
  }
  return MemoryPressure::normal;
}

MemoryPressure MemoryMonitor::sample() noexcept {
  const std::size_t rss = process_rss_bytes();
  if (rss > peak_rss_) peak_rss_ = rss;
  const BufferPoolStats s = pool_->stats();
  const MemoryPressure level = level_for(rss, s.retained_bytes + s.outstanding_bytes);
  if (level != MemoryPressure::normal) {
    pool_->trim();
    ++trims_;
  }
#if defined(__GLIBC__)
  // Freed memory glibc keeps in its arenas still counts in the RSS, and with the sources
  // paused nothing would reuse it: without this, pressure might never fall.
  if (level == MemoryPressure::critical) ::malloc_trim(0);
#endif
  if (level > worst_) worst_ = level;
  return level;
}

}  // namespace sw
