// The frame checksum: XXH3-64 built three times (baseline, AVX2, AVX-512) must give XXH3's
// published values and agree with itself on every size, so ranks on different CPUs accept each
// other's frames.
#include <catch2/catch.hpp>
#include <streamweave/serde/frame.hpp>

#include <cstdint>
#include <vector>

#include "../../serde/src/checksum/xxh3.hpp"

namespace {

// xxHash's own sanity-check input (tests/sanity_test.c): bytes from a 32-bit generator.
std::vector<std::byte> sanity_buffer(std::size_t size) {
  constexpr std::uint32_t kPrime32 = 2654435761U;
  constexpr std::uint64_t kPrime64 = 11400714785074694797ULL;
  std::vector<std::byte> buffer(size);
  std::uint64_t byte_gen = kPrime32;
  for (std::size_t i = 0; i < size; ++i) {
    buffer[i] = static_cast<std::byte>(byte_gen >> 56);
    byte_gen *= kPrime64;
  }
  return buffer;
}

}  // namespace

TEST_CASE("xxh3 gives the published XXH3_64bits values", "[serde][checksum]") {
  constexpr std::uint64_t kSeed = 11400714785074694797ULL;  // xxHash's PRIME64
  const auto buffer = sanity_buffer(2367);
  // xxHash's cli/xsum_sanity_check.c, XSUM_XXH3_testdata: short, mid-size and long inputs.
  CHECK(sw::detail::xxh3(buffer.data(), 0, 0) == 0x2D06800538D394C2ULL);
  CHECK(sw::detail::xxh3(buffer.data(), 0, kSeed) == 0xA8A6B918B2F0364AULL);
  CHECK(sw::detail::xxh3(buffer.data(), 1, 0) == 0xC44BDFF4074EECDBULL);
  CHECK(sw::detail::xxh3(buffer.data(), 195, 0) == 0xCD94217EE362EC3AULL);
  CHECK(sw::detail::xxh3(buffer.data(), 195, kSeed) == 0xBA68003D370CB3D9ULL);
  CHECK(sw::detail::xxh3(buffer.data(), 403, 0) == 0xCDEB804D65C6DEA4ULL);
  CHECK(sw::detail::xxh3(buffer.data(), 403, kSeed) == 0x6259F6ECFD6443FDULL);
  CHECK(sw::detail::xxh3(buffer.data(), 512, 0) == 0x617E49599013CB6BULL);
}

TEST_CASE("every build of xxh3 agrees on every size and seed", "[serde][checksum]") {
  const auto buffer = sanity_buffer(70000);
  for (std::size_t size = 0; size < buffer.size(); size += size < 512 ? 1 : 997) {
    for (const std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{0x9E3779B1}}) {
      const std::uint64_t baseline = sw::detail::xxh3_baseline(buffer.data(), size, seed);
      REQUIRE(sw::detail::xxh3(buffer.data(), size, seed) == baseline);
#if defined(__x86_64__)
      if (__builtin_cpu_supports("avx2")) {
        REQUIRE(sw::detail::xxh3_avx2(buffer.data(), size, seed) == baseline);
      }
      if (__builtin_cpu_supports("avx512f")) {
        REQUIRE(sw::detail::xxh3_avx512(buffer.data(), size, seed) == baseline);
      }
      // Streamed over two pieces, split at a third: the same value in every build.
      const sw::detail::Piece pieces[] = {{buffer.data(), size / 3},
                                          {buffer.data() + size / 3, size - size / 3}};
      REQUIRE(sw::detail::xxh3_pieces_baseline(pieces, 2, seed) == baseline);
      if (__builtin_cpu_supports("avx2")) {
        REQUIRE(sw::detail::xxh3_pieces_avx2(pieces, 2, seed) == baseline);
      }
      if (__builtin_cpu_supports("avx512f")) {
        REQUIRE(sw::detail::xxh3_pieces_avx512(pieces, 2, seed) == baseline);
      }
#endif
    }
  }
}

TEST_CASE("frame_checksum changes with any single bit and with the seed", "[serde][checksum]") {
  auto buffer = sanity_buffer(65536);
  const std::uint32_t original = sw::frame_checksum(buffer);
  CHECK(sw::frame_checksum(buffer, 1) != original);
  for (const std::size_t at : {std::size_t{0}, std::size_t{31}, std::size_t{4095},
                               std::size_t{40000}, std::size_t{65535}}) {
    for (int bit = 0; bit < 8; bit += 3) {
      buffer[at] ^= static_cast<std::byte>(1 << bit);
      CHECK(sw::frame_checksum(buffer) != original);
      buffer[at] ^= static_cast<std::byte>(1 << bit);
    }
  }
  CHECK(sw::frame_checksum(buffer) == original);
}
