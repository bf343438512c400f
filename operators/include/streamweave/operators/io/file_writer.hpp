// FileWriter: what the file sinks write through. Buffered; "-" is standard output. A file is
// written under a temporary name next to it and renamed to its own name by commit(), so a
// run that fails or is cancelled never leaves a truncated file where a good one was expected.
// Thread safety: one writer per sink instance, used by its task only.
#pragma once

#include <string>
#include <string_view>

namespace sw::detail {

class FileWriter {
 public:
  // Opens the temporary file (or takes stdout). Throws std::system_error naming the path.
  explicit FileWriter(std::string path);
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
  // Flushes, closes and renames the file into place (stdout: flushes).
  void commit();

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  static constexpr std::size_t kFlushBytes = 1 << 20;

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  bool committed_ = false;
  std::string buffer_;
};

}  // namespace sw::detail
