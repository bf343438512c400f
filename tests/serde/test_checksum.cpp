// CRC32C by ISA-L, whose vector builds must give the published values and
// agree with the bit-at-a-time definition on every size and alignment, so ranks on different
// CPUs accept each other's frames.
#include <catch2/catch.hpp>
#include <streamweave/serde/checksum.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

namespace {

// CRC32C as its definition reads (reflected polynomial 0x82F63B78, register inverted in and
// out), continued from `seed` like crc32c.
std::uint32_t reference_crc32c(std::span<const std::byte> bytes, std::uint32_t seed) {
  std::uint32_t crc = ~seed;
  for (const std::byte b : bytes) {
    crc ^= static_cast<std::uint32_t>(b);
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82F63B78U & (0U - (crc & 1U)));
  }
  return ~crc;
}

std::vector<std::byte> filled(std::size_t size, std::uint64_t state) {
  std::vector<std::byte> buffer(size);
  for (std::byte& b : buffer) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    b = static_cast<std::byte>(state >> 56);
  }
  return buffer;
}

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

}  // namespace

TEST_CASE("crc32c gives the published CRC32C values", "[serde][checksum]") {
  CHECK(sw::crc32c(bytes_of("123456789")) == 0xE3069283U);
  CHECK(sw::crc32c(std::span<const std::byte>()) == 0U);
  // RFC 3720 (iSCSI), appendix B.4.
  std::vector<std::byte> block(32, std::byte{0});
  CHECK(sw::crc32c(block) == 0x8A9136AAU);
  std::fill(block.begin(), block.end(), std::byte{0xFF});
  CHECK(sw::crc32c(block) == 0x62A8AB43U);
  for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<std::byte>(i);
  CHECK(sw::crc32c(block) == 0x46DD794EU);
  for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<std::byte>(31 - i);
  CHECK(sw::crc32c(block) == 0x113FDB5CU);
}

TEST_CASE("crc32c agrees with the definition on every size, alignment and seed",
          "[serde][checksum]") {
  const auto buffer = filled(70'000 + 64, 7);
  for (std::size_t size = 0; size < 70'000; size += size < 1100 ? 1 : 997) {
    const std::size_t offset = size % 61;  // the vector builds have aligned and unaligned paths
    const std::span<const std::byte> bytes(buffer.data() + offset, size);
    for (const std::uint32_t seed : {0U, 0x9E3779B1U}) {
      const std::uint32_t expected = reference_crc32c(bytes, seed);
      REQUIRE(sw::crc32c(bytes, seed) == expected);
      // Continued across a split at a third: the same value (pieces: test_frame.cpp).
      const std::size_t cut = size / 3;
      REQUIRE(sw::crc32c(bytes.subspan(cut), sw::crc32c(bytes.first(cut), seed)) == expected);
    }
  }
}

TEST_CASE("crc32c changes with any single bit, any two-byte burst and the seed",
          "[serde][checksum]") {
  auto buffer = filled(65536, 11);
  const std::uint32_t original = sw::crc32c(buffer);
  CHECK(sw::crc32c(buffer, 1) != original);
  for (const std::size_t at : {std::size_t{0}, std::size_t{31}, std::size_t{4095},
                               std::size_t{40000}, std::size_t{65534}}) {
    for (int bit = 0; bit < 8; ++bit) {
      buffer[at] ^= static_cast<std::byte>(1 << bit);
      CHECK(sw::crc32c(buffer) != original);
      buffer[at + 1] ^= std::byte{0xA5};
      CHECK(sw::crc32c(buffer) != original);
      buffer[at] ^= static_cast<std::byte>(1 << bit);
      buffer[at + 1] ^= std::byte{0xA5};
    }
  }
  CHECK(sw::crc32c(buffer) == original);
}
