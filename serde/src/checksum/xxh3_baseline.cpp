#include "xxh3.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "xxh3_body.inc"

namespace sw::detail {

std::uint64_t xxh3_baseline(const void* data, std::size_t size, std::uint64_t seed) noexcept {
  return one_shot(data, size, seed);
}

std::uint64_t xxh3_pieces_baseline(const Piece* pieces, std::size_t count,
                                   std::uint64_t seed) noexcept {
  return streamed(pieces, count, seed);
}

#if defined(__x86_64__)
namespace {
// The widest vector build this CPU runs: 2 AVX-512F (about 1.25x AVX2 on 64 KiB here), 1 AVX2,
// 0 the baseline.
int vector_level() noexcept {
  static const int level = __builtin_cpu_supports("avx512f") ? 2
                           : __builtin_cpu_supports("avx2")  ? 1
                                                             : 0;
  return level;
}
}  // namespace
#endif

std::uint64_t xxh3(const void* data, std::size_t size, std::uint64_t seed) noexcept {
#if defined(__x86_64__)
  switch (vector_level()) {
    case 2:
      return xxh3_avx512(data, size, seed);
    case 1:
      return xxh3_avx2(data, size, seed);
    default:
      break;
  }
#endif
  return xxh3_baseline(data, size, seed);
}

std::uint64_t xxh3_pieces(const Piece* pieces, std::size_t count, std::uint64_t seed) noexcept {
#if defined(__x86_64__)
  switch (vector_level()) {
    case 2:
      return xxh3_pieces_avx512(pieces, count, seed);
    case 1:
      return xxh3_pieces_avx2(pieces, count, seed);
    default:
      break;
  }
#endif
  return xxh3_pieces_baseline(pieces, count, seed);
}

}  // namespace sw::detail
