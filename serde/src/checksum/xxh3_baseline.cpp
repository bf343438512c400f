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
bool has_avx2() noexcept {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
}  // namespace
#endif

std::uint64_t xxh3(const void* data, std::size_t size, std::uint64_t seed) noexcept {
#if defined(__x86_64__)
  if (has_avx2()) return xxh3_avx2(data, size, seed);
#endif
  return xxh3_baseline(data, size, seed);
}

std::uint64_t xxh3_pieces(const Piece* pieces, std::size_t count, std::uint64_t seed) noexcept {
#if defined(__x86_64__)
  if (has_avx2()) return xxh3_pieces_avx2(pieces, count, seed);
#endif
  return xxh3_pieces_baseline(pieces, count, seed);
}

}  // namespace sw::detail
