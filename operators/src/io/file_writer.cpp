#include "streamweave/operators/io/file_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <system_error>

#include "streamweave/operators/io/temp_file.hpp"
#include "streamweave/serde/checked_file.hpp"

namespace sw {

namespace {

// The directory part of `path` ("" for the working directory) and the name in it.
std::pair<std::string, std::string> split_path(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

// Paths that name an open descriptor: renaming next to them makes no sense.
bool names_descriptor(const std::string& path) {
  return path.starts_with("/dev/fd/") || path.starts_with("/proc/") || path == "/dev/stdout" ||
         path == "/dev/stderr";
}

// True when `path` exists and is not a regular file (or names a descriptor): written directly.
bool written_directly(const std::string& path) {
  if (names_descriptor(path)) return true;
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
}

// `path`, or the regular file a symbolic link at `path` leads to.
std::string resolved_target(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return path;
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  return real ? std::string(real.get()) : path;  // a dangling link: written as a new file
}

[[noreturn]] void fail_path(const std::string& path, const std::string& what, int error) {
  throw std::system_error(error, std::generic_category(), "cannot write " + path + ": " + what);
}

}  // namespace

void check_output_path(const std::string& path) {
  if (path == "-") return;
  if (path.empty()) fail_path("''", "the path is empty", EINVAL);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) fail_path(path, "it is a directory", EISDIR);
    if (!S_ISREG(st.st_mode) || names_descriptor(path)) {
      if (::access(path.c_str(), W_OK) != 0) fail_path(path, "no write permission", errno);
      return;
    }
  }
  const auto [directory, name] = split_path(resolved_target(path));
  const std::string dir = directory.empty() ? "." : directory;
  if (name.empty()) fail_path(path, "it names a directory", EISDIR);
  if (::stat(dir.c_str(), &st) != 0) fail_path(path, "directory " + dir, errno);
  if (!S_ISDIR(st.st_mode)) fail_path(path, dir + " is not a directory", ENOTDIR);
  // The temporary file and the rename both need the directory to be writable.
  if (::access(dir.c_str(), W_OK | X_OK) != 0) fail_path(path, "directory " + dir, errno);
}

}  // namespace sw

namespace sw::detail {

void FileWriter::fail(const char* call, int error) const {
  std::string what = call;
  if (!temp_path_.empty() && !committed_) what += " of its temporary file " + temp_path_;
  fail_path(path_ == "-" ? std::string("<stdout>") : path_, what, error);
}

FileWriter::FileWriter(std::string path, std::optional<Recovery> recovery)
    : path_(std::move(path)) {
  buffer_.reserve(kFlushBytes + 4096);
  if (path_ == "-") {
    fd_ = STDOUT_FILENO;
    return;
  }
  if (written_directly(path_)) {
    // No O_TRUNC: a device or FIFO has nothing to truncate, and a descriptor's file was
    // opened by whoever passed it (a shell's `>` truncated it already).
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) fail("open", errno);
    return;
  }
  target_ = resolved_target(path_);
  if (recovery) {
    open_in_progress(recovery->resume_at);
    return;
  }
  const auto [directory, name] = split_path(target_);
  remove_stale_temp_files(directory, name);
  temp_path_ = (directory.empty()  ? ""
                : directory == "/" ? "/"
                                   : directory + "/") +
               temp_name(name);
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd_ < 0) fail("open", errno);
}

void FileWriter::open_in_progress(std::optional<std::uint64_t> resume_at) {
  temp_path_ = target_ + ".inprogress";
  keep_in_progress_ = true;
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (resume_at ? 0 : O_TRUNC);
  fd_ = ::open(temp_path_.c_str(), flags, 0666);
  if (fd_ < 0) fail("open", errno);
  if (!resume_at) return;
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail("fstat", errno);
  if (static_cast<std::uint64_t>(st.st_size) < *resume_at) {
    fail_path(path_,
              "cannot resume: its in-progress file " + temp_path_ + " has " +
                  std::to_string(st.st_size) + " bytes, the checkpoint committed " +
                  std::to_string(*resume_at),
              EIO);
  }
  // What was written after the checkpoint is written again by the restored run.
  if (::ftruncate(fd_, static_cast<off_t>(*resume_at)) != 0) fail("ftruncate", errno);
  if (::lseek(fd_, 0, SEEK_END) < 0) fail("lseek", errno);
  written_ = *resume_at;
}

bool FileWriter::committed_at(const std::string& path, std::uint64_t length) {
  const std::string target = resolved_target(path);
  struct stat st {};
  return ::stat((target + ".inprogress").c_str(), &st) != 0 && ::stat(target.c_str(), &st) == 0 &&
         static_cast<std::uint64_t>(st.st_size) == length;
}

std::uint64_t FileWriter::sync() {
  flush();
  // A pipe or a terminal cannot be synced (EINVAL): what it was given is gone anyway.
  if (::fsync(fd_) != 0 && errno != EINVAL && errno != EROFS) fail("fsync", errno);
  return written_;
}

FileWriter::~FileWriter() {
  if (fd_ >= 0 && fd_ != STDOUT_FILENO) ::close(fd_);
  if (!committed_ && !keep_in_progress_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void FileWriter::flush() {
  const char* at = buffer_.data();
  std::size_t left = buffer_.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, at, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write", errno);
    }
    at += n;
    left -= static_cast<std::size_t>(n);
    written_ += static_cast<std::uint64_t>(n);
  }
  buffer_.clear();
}

void FileWriter::commit() {
  flush();
  if (temp_path_.empty()) {  // stdout or written directly
    if (fd_ != STDOUT_FILENO && fd_ >= 0) {
      const int fd = fd_;
      fd_ = -1;
      if (::close(fd) != 0) fail("close", errno);
    }
    committed_ = true;
    return;
  }
  const int fd = fd_;
  fd_ = -1;
  if (keep_in_progress_ && ::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    fail("fsync", error);
  }
  if (::close(fd) != 0) fail("close", errno);
  if (std::rename(temp_path_.c_str(), target_.c_str()) != 0) fail("rename", errno);
  committed_ = true;
  if (keep_in_progress_) {  // the rename too must survive a crash: it is the commit
    const std::string directory = split_path(target_).first;
    sync_directory(directory.empty() ? "." : directory);
  }
}

}  // namespace sw::detail
