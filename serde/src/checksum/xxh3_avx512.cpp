// Compiled with -mavx512f (serde/CMakeLists.txt); like xxh3_avx2.cpp it includes nothing but
// xxhash.h and C headers, so no inline C++ function compiled for AVX-512 can be picked by the
// linker for callers on CPUs without it.
#include "xxh3.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "xxh3_body.inc"

namespace sw::detail {

std::uint64_t xxh3_avx512(const void* data, std::size_t size, std::uint64_t seed) noexcept {
  return one_shot(data, size, seed);
}

std::uint64_t xxh3_pieces_avx512(const Piece* pieces, std::size_t count,
                                 std::uint64_t seed) noexcept {
  return streamed(pieces, count, seed);
}

}  // namespace sw::detail
