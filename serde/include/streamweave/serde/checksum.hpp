// CRC32C (Castagnoli, as in iSCSI, ext4 and Kafka): what checks frames on the wire and
// checkpoint and log files on disk. Detects corruption, not tampering; tens of GB/s. Pure
// functions: any thread.
#pragma once

#include <cstdint>
#include <span>

namespace sw {

// The CRC32C of `bytes`, continued from `seed`, the CRC32C of what precedes them (0:
// nothing), so crc32c(b, crc32c(a)) is the CRC32C of a followed by b.
[[nodiscard]] std::uint32_t crc32c(std::span<const std::byte> bytes,
                                   std::uint32_t seed = 0) noexcept;
// The same over the concatenation of `pieces`, without concatenating them.
[[nodiscard]] std::uint32_t crc32c(std::span<const std::span<const std::byte>> pieces,
                                   std::uint32_t seed = 0) noexcept;

}  // namespace sw
