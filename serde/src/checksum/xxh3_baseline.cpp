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

namespace {
// The widest vector build this CPU runs (AVX-512F is about 1.25 x AVX2 on 64 KiB here),
// picked once.
struct Build {
  std::uint64_t (*whole)(const void*, std::size_t, std::uint64_t) noexcept;
  std::uint64_t (*pieces)(const Piece*, std::size_t, std::uint64_t) noexcept;
};

const Build& widest_build() noexcept {
#if defined(__x86_64__)
  static const Build build =
      __builtin_cpu_supports("avx512f") ? Build{xxh3_avx512, xxh3_pieces_avx512}
      : __builtin_cpu_supports("avx2")  ? Build{xxh3_avx2, xxh3_pieces_avx2}
                                        : Build{xxh3_baseline, xxh3_pieces_baseline};
#else
  static const Build build{xxh3_baseline, xxh3_pieces_baseline};
#endif
  return build;
}
}  // namespace

std::uint64_t xxh3(const void* data, std::size_t size, std::uint64_t seed) noexcept {
  return widest_build().whole(data, size, seed);
}

std::uint64_t xxh3_pieces(const Piece* pieces, std::size_t count, std::uint64_t seed) noexcept {
  return widest_build().pieces(pieces, count, seed);
}

}  // namespace sw::detail
