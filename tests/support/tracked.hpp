// Tracked: an item that counts its copies, to prove what the data path copies.
#pragma once

#include <atomic>
#include <cstdint>

namespace sw::test {

struct Tracked {
  static inline std::atomic<std::uint64_t> copies{0};
  std::uint64_t value = 0;

  Tracked() = default;
  explicit Tracked(std::uint64_t v) : value(v) {}
  Tracked(const Tracked& other) : value(other.value) {
    copies.fetch_add(1, std::memory_order_relaxed);
  }
  Tracked(Tracked&&) noexcept = default;
  Tracked& operator=(const Tracked& other) {
    value = other.value;
    copies.fetch_add(1, std::memory_order_relaxed);
    return *this;
  }
  Tracked& operator=(Tracked&&) noexcept = default;
  friend bool operator==(const Tracked&, const Tracked&) = default;
};

}  // namespace sw::test
