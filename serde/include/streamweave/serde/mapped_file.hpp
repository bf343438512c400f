// A read-only memory mapping of a whole file as Bytes: slices of it (Str lines, decoded
// frames) share the mapping, which is unmapped when the last of them is gone.
// Thread safety: any thread; the mapping is immutable.
#pragma once

#include <string>

#include "streamweave/serde/bytes.hpp"

namespace sw {

// Maps `path` read-only. An empty file gives an empty Bytes. Throws std::system_error naming
// the path and the failing call (open, fstat, mmap) when the file cannot be mapped.
[[nodiscard]] Bytes map_file(const std::string& path);

}  // namespace sw
