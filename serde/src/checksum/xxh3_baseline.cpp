#include "xxh3.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace sw::detail {

std::uint64_t xxh3_baseline(const void* data, std::size_t size, std::uint64_t seed) noexcept {
  return XXH3_64bits_withSeed(data, size, seed);
}

std::uint64_t xxh3(const void* data, std::size_t size, std::uint64_t seed) noexcept {
#if defined(__x86_64__)
  static const bool has_avx2 = __builtin_cpu_supports("avx2");
  if (has_avx2) return xxh3_avx2(data, size, seed);
#endif
  return xxh3_baseline(data, size, seed);
}

}  // namespace sw::detail
