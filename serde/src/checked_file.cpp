#include "streamweave/serde/checked_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "streamweave/serde/checksum.hpp"
#include "streamweave/serde/mapped_file.hpp"
#include "system_error.hpp"

namespace sw {

namespace {

constexpr std::size_t kHeaderChecked = 20;  // the header CRC covers the bytes before it

using detail::throw_errno;

template <class T>
void put(std::array<std::byte, kCheckedFileHeaderBytes>& header, std::size_t at, T value) {
  std::memcpy(header.data() + at, &value, sizeof value);  // little-endian hosts only (x86-64)
}

template <class T>
T get(const std::byte* header, std::size_t at) {
  T value;
  std::memcpy(&value, header + at, sizeof value);
  return value;
}

// Closes the descriptor and, unless released, removes the half-written file.
class TempFile {
 public:
  explicit TempFile(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw_errno("creating", path_);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!kept_) ::unlink(path_.c_str());
  }

  void write(std::span<const std::byte> bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno("writing", path_);
      bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
  }
  // fsyncs, closes and renames the file to `to`.
  void commit(const std::filesystem::path& to) {
    if (::fsync(fd_) != 0) throw_errno("fsync of", path_);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw_errno("closing", path_);
    if (::rename(path_.c_str(), to.c_str()) != 0) throw_errno("renaming into place", to);
    kept_ = true;
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool kept_ = false;
};

std::array<std::byte, kCheckedFileHeaderBytes> make_header(
    FileKind kind, std::span<const std::span<const std::byte>> payload, std::uint32_t crc) {
  std::uint64_t bytes = 0;
  for (const auto& piece : payload) bytes += piece.size();
  std::array<std::byte, kCheckedFileHeaderBytes> header{};
  put(header, 0, kCheckedFileMagic);
  put(header, 4, kCheckedFileVersion);
  put(header, 6, static_cast<std::uint16_t>(kind));
  put(header, 8, bytes);
  put(header, 16, crc);
  put(header, kHeaderChecked, crc32c(std::span(header).first(kHeaderChecked)));
  return header;
}

}  // namespace

const char* to_string(FileKind kind) noexcept {
  switch (kind) {
    case FileKind::operator_state:
      return "operator state";
    case FileKind::manifest:
      return "checkpoint manifest";
    case FileKind::wal_segment:
      return "write-ahead log segment";
    case FileKind::in_flight:
      return "in-flight batches";
  }
  return "unknown";
}

CorruptFile::CorruptFile(std::filesystem::path path, FileKind kind, std::size_t offset,
                         const std::string& message)
    : DecodeError(Verbatim{}, to_string(kind), offset,
                  path.string() + ": " + to_string(kind) + " file at byte " +
                      std::to_string(offset) + ": " + message),
      path_(std::move(path)) {}

std::uint32_t write_checked_file(const std::filesystem::path& path, FileKind kind,
                                 std::span<const std::span<const std::byte>> payload) {
  const std::uint32_t crc = crc32c(payload);
  const auto header = make_header(kind, payload, crc);
  TempFile file(path.string() + ".tmp");
  file.write(header);
  for (const auto& piece : payload) file.write(piece);
  file.commit(path);
  return crc;
}

std::uint32_t write_checked_file(const std::filesystem::path& path, FileKind kind,
                                 std::span<const std::byte> payload) {
  return write_checked_file(path, kind, std::span(&payload, 1));
}

Bytes read_checked_file(const std::filesystem::path& path, FileKind kind) {
  return checked_payload(map_file(path.string()), kind, path);
}

Bytes checked_payload(const Bytes& file, FileKind kind, const std::filesystem::path& path) {
  auto fail = [&](std::size_t at, const std::string& message) {
    throw CorruptFile(path, kind, at, message);
  };
  if (file.size() < kCheckedFileHeaderBytes) {
    fail(file.size(), "truncated: " + std::to_string(file.size()) + " bytes, shorter than the " +
                          std::to_string(kCheckedFileHeaderBytes) + "-byte header");
  }
  const std::byte* h = file.data();
  if (get<std::uint32_t>(h, 0) != kCheckedFileMagic) fail(0, "not a StreamWeave checked file");
  if (get<std::uint32_t>(h, kHeaderChecked) != crc32c(file.span().first(kHeaderChecked))) {
    fail(kHeaderChecked, "header checksum mismatch");
  }
  if (const auto v = get<std::uint16_t>(h, 4); v != kCheckedFileVersion) {
    fail(4, "version " + std::to_string(v) + ", this build reads " +
                std::to_string(kCheckedFileVersion));
  }
  if (const auto k = get<std::uint16_t>(h, 6); k != static_cast<std::uint16_t>(kind)) {
    fail(6, std::string("holds ") + to_string(static_cast<FileKind>(k)) + " (kind " +
                std::to_string(k) + ")");
  }
  const auto bytes = get<std::uint64_t>(h, 8);
  const std::uint64_t has = file.size() - kCheckedFileHeaderBytes;
  if (bytes != has) {
    fail(file.size(), (bytes > has ? "truncated: " : "trailing bytes: ") + std::to_string(has) +
                          " payload bytes, the header says " + std::to_string(bytes));
  }
  const Bytes payload = file.slice(kCheckedFileHeaderBytes, file.size());
  if (get<std::uint32_t>(h, 16) != crc32c(payload.span())) {
    fail(kCheckedFileHeaderBytes, "payload checksum mismatch");
  }
  return payload;
}

void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno("opening directory", dir);
  const int synced = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (synced != 0) {
    errno = error;
    throw_errno("fsync of directory", dir);
  }
}

}  // namespace sw
