// A read-only memory mapping of a whole file as Bytes: slices of it (Str lines, decoded
// frames) share the mapping, which is unmapped when the last of them is gone.
//
// A file that shrinks while mapped (another process truncates or rewrites it) does not
// crash the process with SIGBUS: the pages it lost read as zeros from then on, and the fault
// is recorded — file_shrunk_at() tells a reader, mapped_file_faults() the runtime, which
// fails the run with an error naming the file and the offset (FileShrunk).
// Thread safety: any thread; the mapping is immutable.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "streamweave/serde/bytes.hpp"

namespace sw {

// Maps `path` read-only. An empty file gives an empty Bytes. Throws std::system_error naming
// the path and the failing call (open, fstat, mmap) when the file cannot be mapped, or when
// it is not a regular file (a pipe or a terminal cannot be mapped: read it as a stream).
[[nodiscard]] Bytes map_file(const std::string& path);

// A mapped file that shrank while being read: what() names the file, its size when mapped
// and now, and the offset of the first read that found no data.
class FileShrunk : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The offset of the first read of `slice`'s mapping that found the file shorter than when it
// was mapped (the bytes from there on read as zeros), or nullopt: none, or not a mapping.
[[nodiscard]] std::optional<std::uint64_t> file_shrunk_at(const Bytes& slice) noexcept;
// Throws FileShrunk when file_shrunk_at(slice) has a value.
void throw_if_file_shrunk(const Bytes& slice);
// How many reads of any mapped file found it shrunk, in this process so far; and the latest
// as a FileShrunk message ("" when none). Any thread.
[[nodiscard]] std::uint64_t mapped_file_faults() noexcept;
[[nodiscard]] std::string last_mapped_file_fault();
// The message of a FileShrunk for `path` (its size now is read from the file system).
[[nodiscard]] std::string describe_shrunk_file(const std::string& path, std::uint64_t offset,
                                               std::uint64_t mapped_size);

// Where a slice of a mapped file starts: for error messages that name `file:line`.
struct FilePosition {
  const std::string* file = nullptr;  // the path it was mapped from (lives with the mapping)
  std::uint64_t line = 0;             // 1-based
  std::uint64_t offset = 0;           // bytes from the start of the file
};

// Bytes read from a stream (a pipe, standard input) whose slices know where they came from:
// `name` (e.g. "<stdin>"), the line its first byte is on (1-based) and that byte's offset from
// the start of the stream. file_position() and where_in_file() then work on its slices as on
// a mapped file's. Costs one small allocation per chunk.
[[nodiscard]] Bytes with_stream_position(Bytes chunk, std::shared_ptr<const std::string> name,
                                         std::uint64_t first_line, std::uint64_t first_offset);

// The position of `slice` in the file it was mapped from (or the stream it was read from, see
// with_stream_position), or nullopt when it is neither. Counts the lines before it (memchr
// speed): for errors, not for every item.
[[nodiscard]] std::optional<FilePosition> file_position(const Bytes& slice);

// "file:line" for a slice of a mapped file, else "" (for prefixing error messages).
[[nodiscard]] std::string where_in_file(const Bytes& slice);

}  // namespace sw
