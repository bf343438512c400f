#include "streamweave/operators/io/file_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

namespace sw::detail {

namespace {

[[noreturn]] void fail(const char* call, const std::string& path, int error) {
  throw std::system_error(error, std::generic_category(), std::string(call) + " " + path);
}

}  // namespace

FileWriter::FileWriter(std::string path) : path_(std::move(path)) {
  buffer_.reserve(kFlushBytes + 4096);
  if (path_ == "-") {
    fd_ = STDOUT_FILENO;
    return;
  }
  temp_path_ = path_ + ".streamweave-" + std::to_string(::getpid()) + ".tmp";
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd_ < 0) fail("open", temp_path_, errno);
}

FileWriter::~FileWriter() {
  if (fd_ >= 0 && fd_ != STDOUT_FILENO) ::close(fd_);
  if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void FileWriter::flush() {
  const char* at = buffer_.data();
  std::size_t left = buffer_.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, at, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write", path_ == "-" ? std::string("<stdout>") : temp_path_, errno);
    }
    at += n;
    left -= static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

void FileWriter::commit() {
  flush();
  if (path_ == "-") {
    committed_ = true;
    return;
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close", temp_path_, errno);
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) fail("rename", path_, errno);
  committed_ = true;
}

}  // namespace sw::detail
