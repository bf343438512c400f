// Checked files: what checkpoints keep on disk. A 24-byte header, then the payload:
//
//   0 magic "SWF1" u32   4 version u16   6 kind u16   8 payload bytes u64
//   16 CRC32C of the payload u32   20 CRC32C of bytes 0..20 u32
//
// write_checked_file never leaves a half-written file under its name: it writes a temporary
// file beside it, fsyncs it and renames it into place; sync_directory then makes the rename
// itself survive a power loss. read_checked_file finds a torn, truncated or corrupted file
// by its length and checksums and names the file and the byte where it went wrong. Free
// functions over their arguments: any thread, on different paths.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "streamweave/serde/bytes.hpp"
#include "streamweave/serde/decode_error.hpp"

namespace sw {

inline constexpr std::uint32_t kCheckedFileMagic = 0x31465753;  // "SWF1" as bytes on disk
inline constexpr std::uint16_t kCheckedFileVersion = 1;
inline constexpr std::size_t kCheckedFileHeaderBytes = 24;

// What a checked file holds; a reader that expects one kind refuses another.
enum class FileKind : std::uint16_t {
  operator_state = 1,  // one operator instance's state in a checkpoint
  manifest = 2,        // a checkpoint's list of files, written last
  wal_segment = 3,     // a segment of a write-ahead log (write_ahead_log.hpp; its own header)
  in_flight = 4,       // batches an instance's inputs held when an unaligned checkpoint passed
};

[[nodiscard]] const char* to_string(FileKind kind) noexcept;

// A checked file that is not what it should be: what() reads "<path>: <kind> file at byte
// <offset>: <message>".
class CorruptFile : public DecodeError {
 public:
  CorruptFile(std::filesystem::path path, FileKind kind, std::size_t offset,
              const std::string& message);
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes `payload` (the concatenation of its pieces) as a checked file of `kind` at `path`,
// through `path` + ".tmp", fsynced before the rename. Throws std::system_error naming the path
// and the call that failed (a full disk, no permission); the temporary file is removed then.
// Returns the payload's CRC32C.
std::uint32_t write_checked_file(const std::filesystem::path& path, FileKind kind,
                                 std::span<const std::span<const std::byte>> payload);
std::uint32_t write_checked_file(const std::filesystem::path& path, FileKind kind,
                                 std::span<const std::byte> payload);

// The payload of the checked file of `kind` at `path`, mapped (not copied). Throws CorruptFile
// when the file is shorter or longer than its header says, of another kind or version, or a
// checksum does not match; std::system_error when it cannot be opened or mapped.
[[nodiscard]] Bytes read_checked_file(const std::filesystem::path& path, FileKind kind);
// The same checks over a checked file already in memory; `path` names it in errors.
[[nodiscard]] Bytes checked_payload(const Bytes& file, FileKind kind,
                                    const std::filesystem::path& path);

// fsyncs the directory `dir`, so that the files created, renamed or removed in it stay so
// after a crash. Throws std::system_error naming it.
void sync_directory(const std::filesystem::path& dir);

}  // namespace sw
