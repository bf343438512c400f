#include "streamweave/serde/checksum.hpp"

#include <isa-l/crc.h>

#include <cstddef>

namespace sw {

std::uint32_t crc32c(std::span<const std::byte> bytes, std::uint32_t seed) noexcept {
  // CRC32C rather than a hash such as XXH3: ISA-L folds it with carry-less multiplies
  // (VPCLMULQDQ where the CPU has it) faster than XXH3 and memcpy (docs/serde.md), it is
  // taken twice per frame on the exchange path, and a CRC detects every burst error up to
  // 32 bits. ISA-L keeps the register un-inverted: ~ in and out gives the
  // standard value, and continuing from `seed` gives the CRC of the concatenation.
  constexpr std::size_t kChunk = std::size_t{1} << 30;  // ISA-L takes an int length
  // ISA-L's pointer is not const; it only reads.
  auto* at = const_cast<unsigned char*>(reinterpret_cast<const unsigned char*>(bytes.data()));
  std::uint32_t crc = ~seed;
  for (std::size_t left = bytes.size(); left != 0;) {
    const std::size_t n = left < kChunk ? left : kChunk;
    crc = crc32_iscsi(at, static_cast<int>(n), crc);
    at += n;
    left -= n;
  }
#if defined(__x86_64__)
  // ISA-L 2.30's AVX-512 build returns with the upper halves of the vector registers in use
  // (no vzeroupper): until they are cleared, every SSE instruction after it, in this build's
  // code and in glibc's, waits on them, which slowed small frames on one rank markedly.
  static const bool has_avx = __builtin_cpu_supports("avx");
  if (has_avx) asm volatile("vzeroupper");
#endif
  return ~crc;
}

std::uint32_t crc32c(std::span<const std::span<const std::byte>> pieces,
                     std::uint32_t seed) noexcept {
  std::uint32_t sum = seed;
  for (const std::span<const std::byte> piece : pieces) sum = crc32c(piece, sum);
  return sum;
}

}  // namespace sw
