// FileWriter: what the file sinks write through. Buffered; "-" is standard output.
//
// A regular file (or a path that does not exist yet) is written under a temporary name next
// to it (temp_file.hpp) and renamed to its own name by commit(), so a run that fails or is
// cancelled never leaves a truncated file where a good one was expected; a symbolic link to
// a regular file has its target replaced, not the link. Anything else that exists — a FIFO,
// a device such as /dev/null, a socket, or a descriptor named as /dev/fd/N (`>(cmd)`) — is
// opened and written directly: renaming over it would replace it with a regular file. A
// failed run may then have written part of its output there.
// Thread safety: one writer per sink instance, used by its task only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sw {

// Throws std::system_error naming `path` when a FileWriter could not write there (its
// directory is missing or not writable, it is a directory): for a check before a run.
void check_output_path(const std::string& path);

}  // namespace sw

namespace sw::detail {

class FileWriter {
 public:
  // Checkpointed writing: a regular file is written as "<target>.inprogress", which outlives
  // the process, so that a run restored from a checkpoint goes on where the checkpoint left
  // it: cut back to `resume_at` bytes (what the checkpoint committed), or empty.
  struct Recovery {
    std::optional<std::uint64_t> resume_at;
  };

  // Opens the temporary file (or the target itself, or takes stdout), first removing
  // temporary files that dead processes left next to it; with `recovery`, the in-progress
  // file. Throws std::system_error naming the path (and, resuming, when the in-progress file
  // is shorter than what was committed).
  explicit FileWriter(std::string path, std::optional<Recovery> recovery = std::nullopt);
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;
  // Removes the temporary file unless commit() ran.
  ~FileWriter();

  // Where formatted text goes; flush_if_full() after appending.
  [[nodiscard]] std::string& buffer() noexcept { return buffer_; }
  void append(std::string_view text) {
    buffer_.append(text);
    flush_if_full();
  }
  void flush_if_full() {
    if (buffer_.size() >= kFlushBytes) flush();
  }
  // Writes what is buffered. Throws std::system_error naming the path.
  void flush();
  // Flushes, closes and renames the file into place (stdout, written directly: flushes).
  void commit();
  // Writes what is buffered and makes it durable (fsync); returns the bytes written so far.
  std::uint64_t sync();
  // Whether `path` was already committed at `length` bytes by a recovered writer: no
  // in-progress file, and the target has that size.
  [[nodiscard]] static bool committed_at(const std::string& path, std::uint64_t length);

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  // The temporary file written until commit(); empty when the target is written directly.
  [[nodiscard]] const std::string& temp_path() const noexcept { return temp_path_; }

 private:
  static constexpr std::size_t kFlushBytes = 1 << 20;

  [[noreturn]] void fail(const char* call, int error) const;
  void open_in_progress(std::optional<std::uint64_t> resume_at);

  std::string path_;
  std::string target_;  // path_ with symbolic links to a regular file resolved
  std::string temp_path_;
  int fd_ = -1;
  bool committed_ = false;
  bool keep_in_progress_ = false;  // recovery: the file a checkpoint refers to stays
  std::uint64_t written_ = 0;
  std::string buffer_;
};

}  // namespace sw::detail
