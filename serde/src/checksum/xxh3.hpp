// XXH3-64 (Debian's libxxhash-dev, header-only) compiled three times: for the baseline
// instruction set, with AVX2 and with AVX-512, the widest the CPU has picked at run time. XXH3
// gives the same value on every code path, so ranks on different CPUs agree on a frame's checksum.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sw::detail {

// XXH3_64bits_withSeed over [data, data + size). Any thread.
[[nodiscard]] std::uint64_t xxh3_baseline(const void* data, std::size_t size,
                                          std::uint64_t seed) noexcept;
#if defined(__x86_64__)
// The same with AVX2 and with AVX-512F; call only where the CPU has it (xxh3 checks).
[[nodiscard]] std::uint64_t xxh3_avx2(const void* data, std::size_t size,
                                      std::uint64_t seed) noexcept;
[[nodiscard]] std::uint64_t xxh3_avx512(const void* data, std::size_t size,
                                        std::uint64_t seed) noexcept;
#endif

// XXH3_64bits_withSeed over the concatenation of `pieces` (streamed: the same value as over
// one buffer holding them all). Any thread.
// (Plain structs, no C++ library types: the AVX2 file must not instantiate inline C++ code.)
struct Piece {
  const void* data;
  std::size_t size;
};
[[nodiscard]] std::uint64_t xxh3_pieces_baseline(const Piece* pieces, std::size_t count,
                                                 std::uint64_t seed) noexcept;
#if defined(__x86_64__)
[[nodiscard]] std::uint64_t xxh3_pieces_avx2(const Piece* pieces, std::size_t count,
                                             std::uint64_t seed) noexcept;
[[nodiscard]] std::uint64_t xxh3_pieces_avx512(const Piece* pieces, std::size_t count,
                                               std::uint64_t seed) noexcept;
#endif

// The fastest of the above this CPU runs. Any thread.
[[nodiscard]] std::uint64_t xxh3(const void* data, std::size_t size, std::uint64_t seed) noexcept;
[[nodiscard]] std::uint64_t xxh3_pieces(const Piece* pieces, std::size_t count,
                                        std::uint64_t seed) noexcept;

}  // namespace sw::detail
