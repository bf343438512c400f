// Internal: the SIGBUS side of map_file. A file that shrinks while it is mapped (truncated,
// or rewritten by an editor) makes every read of a page past its new end raise SIGBUS, which
// would kill the process wherever the read happens — in the reader, or in any operator that
// holds a Str slice of the file. The handler installed here swaps the vanished pages for zero
// pages, so the read goes on and sees zeros, and records the fault; the reader and the
// runtime then fail the run with an error naming the file and the offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace sw::detail {

// Registers a mapping of `path` at [data, data + size) with the SIGBUS handler (installed on
// the first call). Returns its slot, or -1 when every slot is taken (then a fault in it
// stays fatal, as without the handler). Any thread.
int register_mapping(const std::byte* data, std::size_t size, const std::string& path) noexcept;
// Forgets the slot before the mapping is unmapped. Any thread.
void unregister_mapping(int slot) noexcept;
// The offset of the first read that found the file of `slot` shorter than it was, if any.
[[nodiscard]] std::optional<std::uint64_t> mapping_fault(int slot) noexcept;

}  // namespace sw::detail
