// Counts heap allocations and the peak of live heap bytes of a program linked with
// alloc_counter.cpp, which replaces the global operator new/delete. For benchmarks only.
#pragma once

#include <malloc.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace sw::bench {

struct AllocStats {
  static inline std::atomic<std::uint64_t> allocations{0};
  static inline std::atomic<std::int64_t> live_bytes{0};
  static inline std::atomic<std::int64_t> peak_bytes{0};

  static void reset_peak() noexcept { peak_bytes.store(live_bytes.load()); }
  static void on_alloc(void* p) noexcept {
    allocations.fetch_add(1, std::memory_order_relaxed);
    const auto now = live_bytes.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)),
                                          std::memory_order_relaxed) +
                     static_cast<std::int64_t>(malloc_usable_size(p));
    std::int64_t peak = peak_bytes.load(std::memory_order_relaxed);
    while (now > peak && !peak_bytes.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
  }
  static void on_free(void* p) noexcept {
    if (p != nullptr) {
      live_bytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)),
                           std::memory_order_relaxed);
    }
  }
};

}  // namespace sw::bench
