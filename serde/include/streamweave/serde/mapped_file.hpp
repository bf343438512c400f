// A read-only memory mapping of a whole file as Bytes: slices of it (Str lines, decoded
// frames) share the mapping, which is unmapped when the last of them is gone.
// Thread safety: any thread; the mapping is immutable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "streamweave/serde/bytes.hpp"

namespace sw {

// Maps `path` read-only. An empty file gives an empty Bytes. Throws std::system_error naming
// the path and the failing call (open, fstat, mmap) when the file cannot be mapped, or when
// it is not a regular file (a pipe or a terminal cannot be mapped: read it as a stream).
[[nodiscard]] Bytes map_file(const std::string& path);

// Where a slice of a mapped file starts: for error messages that name `file:line`.
struct FilePosition {
  const std::string* file = nullptr;  // the path it was mapped from (lives with the mapping)
  std::uint64_t line = 0;             // 1-based
  std::uint64_t offset = 0;           // bytes from the start of the file
};

// The position of `slice` in the file it was mapped from, or nullopt when it is not part of
// a mapping made by map_file. Counts the lines before it (memchr speed): for errors, not for
// every item.
[[nodiscard]] std::optional<FilePosition> file_position(const Bytes& slice);

// "file:line" for a slice of a mapped file, else "" (for prefixing error messages).
[[nodiscard]] std::string where_in_file(const Bytes& slice);

}  // namespace sw
