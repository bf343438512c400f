#include "streamweave/serde/write_ahead_log.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <system_error>

#include "streamweave/serde/checked_file.hpp"
#include "streamweave/serde/checksum.hpp"
#include "streamweave/serde/mapped_file.hpp"
#include "system_error.hpp"

namespace sw {

namespace {

constexpr std::size_t kHeaderChecked = 24;  // the header CRC covers the bytes before it

using detail::throw_errno;

template <class T>
T get(const std::byte* at) {
  T value;
  std::memcpy(&value, at, sizeof value);  // little-endian hosts only (x86-64)
  return value;
}
template <class T>
void put(std::byte* at, T value) {
  std::memcpy(at, &value, sizeof value);
}

std::uint32_t record_crc(std::uint32_t length, std::span<const std::span<const std::byte>> pieces) {
  std::array<std::byte, 4> bytes{};
  put(bytes.data(), length);
  return crc32c(pieces, crc32c(bytes));
}

std::filesystem::path segment_path(const std::filesystem::path& dir, std::uint64_t first) {
  return dir / fmt::format("{:016x}.wal", first);
}

void write_all(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
               const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("writing", path);
    bytes = bytes.subspan(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
}

}  // namespace

WalSegmentView parse_wal_segment(std::span<const std::byte> file, const std::filesystem::path& path,
                                 bool last) {
  const auto fail = [&](std::size_t at, const std::string& message) {
    throw CorruptFile(path, FileKind::wal_segment, at, message);
  };
  if (file.size() < kWalHeaderBytes) {
    fail(file.size(), fmt::format("truncated: {} bytes, shorter than the {}-byte header",
                                  file.size(), kWalHeaderBytes));
  }
  const std::byte* h = file.data();
  if (get<std::uint32_t>(h) != kWalMagic) fail(0, "not a StreamWeave write-ahead log segment");
  if (get<std::uint32_t>(h + kHeaderChecked) != crc32c(file.first(kHeaderChecked))) {
    fail(kHeaderChecked, "header checksum mismatch");
  }
  if (const auto v = get<std::uint16_t>(h + 4); v != kWalVersion) {
    fail(4, fmt::format("version {}, this build reads {}", v, kWalVersion));
  }
  WalSegmentView view;
  view.first = get<std::uint64_t>(h + 8);
  if (const auto capacity = get<std::uint64_t>(h + 16); capacity != file.size()) {
    fail(16, fmt::format("{} bytes, the header says {}", file.size(), capacity));
  }
  std::size_t at = kWalHeaderBytes;
  while (file.size() - at >= kWalRecordHeaderBytes) {
    const auto length = get<std::uint32_t>(file.data() + at);
    if (length == 0) break;  // the rest of the segment, never written
    const std::size_t room = file.size() - at - kWalRecordHeaderBytes;
    const auto payload =
        file.subspan(at + kWalRecordHeaderBytes, std::min<std::size_t>(length, room));
    if (length > room ||
        get<std::uint32_t>(file.data() + at + 4) != record_crc(length, std::span(&payload, 1))) {
      if (!last) {
        fail(at, length > room ? fmt::format("a record of {} bytes runs past the end", length)
                               : std::string("record checksum mismatch"));
      }
      view.torn = true;
      break;
    }
    view.records.emplace_back(at + kWalRecordHeaderBytes, length);
    at += kWalRecordHeaderBytes + length;
  }
  view.end = at;
  if (view.torn) {
    std::size_t dirty = file.size();
    while (dirty > view.end && file[dirty - 1] == std::byte{0}) --dirty;
    view.torn_bytes = dirty - view.end;
  }
  return view;
}

std::vector<std::filesystem::path> wal_segments(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> segments;
  std::error_code missing;
  for (const auto& entry : std::filesystem::directory_iterator(dir, missing)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == 20 && name.ends_with(".wal") &&
        name.find_first_not_of("0123456789abcdef") == 16) {
      segments.push_back(entry.path());
    }
  }
  // 16 hex digits, zero-padded: the names sort as their positions.
  std::sort(segments.begin(), segments.end());
  return segments;
}

WalWriter::WalWriter(std::filesystem::path dir, std::uint64_t segment_bytes)
    : dir_(std::move(dir)), segment_bytes_(std::max<std::uint64_t>(segment_bytes, 4096)) {
  std::filesystem::create_directories(dir_);
  const std::vector<std::filesystem::path> segments = wal_segments(dir_);
  std::uint64_t expected = 0;
  Bytes last_record;  // a slice of the newest segment that holds one (it keeps that mapped)
  for (std::size_t k = 0; k < segments.size(); ++k) {
    const Bytes file = map_file(segments[k].string());
    const WalSegmentView view =
        parse_wal_segment(file.span(), segments[k], k + 1 == segments.size());
    if (k > 0 && view.first != expected) {
      throw CorruptFile(segments[k], FileKind::wal_segment, 8,
                        fmt::format("starts at position {}, the segment before ends at {}",
                                    view.first, expected));
    }
    expected = view.first + (view.end - kWalHeaderBytes);
    if (!view.records.empty()) {
      const auto [offset, length] = view.records.back();
      last_record = file.slice(offset, offset + length);
    }
    if (k + 1 == segments.size()) open_last(segments[k], file, view);
  }
  end_ = expected;
  if (!last_record.empty()) last_record_ = Bytes::copy_of(last_record.span());  // once
}

void WalWriter::open_last(const std::filesystem::path& segment, const Bytes& file,
                          const WalSegmentView& view) {
  fd_ = ::open(segment.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0) throw_errno("opening", segment);
  path_ = segment;
  first_ = view.first;
  capacity_ = file.size();
  offset_ = view.end;
  if (view.torn) {
    // Zeros over the torn record and whatever followed it, so that no old bytes after a new
    // record can read as one.
    torn_bytes_ = view.torn_bytes;
    const std::vector<std::byte> zeros(torn_bytes_);
    write_all(fd_, zeros, view.end, path_);
    if (::fdatasync(fd_) != 0) throw_errno("fdatasync of", path_);
  }
}

WalWriter::~WalWriter() {
  close_segment();
}

void WalWriter::close_segment() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void WalWriter::start_segment(std::uint64_t min_bytes) {
  commit();  // the records of the segment before are durable before any of the next
  close_segment();
  capacity_ = std::max(segment_bytes_, kWalHeaderBytes + min_bytes);
  first_ = end_;
  path_ = segment_path(dir_, first_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_errno("creating", path_);
  // Sized up front (sparse, reading as zeros) so that a commit does not change the file's
  // size; posix_fallocate measured slower (its unwritten extents are converted at each
  // fdatasync: 0.81 of a plain write against 1.0-1.07, bench/wal_rate --group 1).
  if (::ftruncate(fd_, static_cast<off_t>(capacity_)) != 0) throw_errno("sizing", path_);
  std::array<std::byte, kWalHeaderBytes> header{};
  put(header.data(), kWalMagic);
  put(header.data() + 4, kWalVersion);
  put(header.data() + 8, first_);
  put(header.data() + 16, capacity_);
  put(header.data() + kHeaderChecked, crc32c(std::span(header).first(kHeaderChecked)));
  write_all(fd_, header, 0, path_);
  offset_ = kWalHeaderBytes;
  if (::fdatasync(fd_) != 0) throw_errno("fdatasync of", path_);
  sync_directory(dir_);  // the new segment's name survives a crash
}

std::uint64_t WalWriter::append(std::span<const std::span<const std::byte>> pieces) {
  std::uint64_t length = 0;
  for (const auto& piece : pieces) length += piece.size();
  if (length == 0 || length > kMaxWalRecordBytes) {
    throw std::length_error(fmt::format("{}: a write-ahead log record of {} bytes (1 to {})",
                                        dir_.string(), length, kMaxWalRecordBytes));
  }
  const std::uint64_t needed = kWalRecordHeaderBytes + length;
  if (fd_ < 0 || offset_ + needed > capacity_) start_segment(needed);
  const auto size = static_cast<std::uint32_t>(length);
  std::array<std::byte, kWalRecordHeaderBytes> header{};
  put(header.data(), size);
  put(header.data() + 4, record_crc(size, pieces));
  // One write for the header and the pieces (pwritev): a torn write is still caught by the CRC.
  std::vector<iovec>& parts = parts_;
  parts.clear();
  parts.push_back({header.data(), header.size()});
  for (const auto& piece : pieces) {
    if (!piece.empty()) parts.push_back({const_cast<std::byte*>(piece.data()), piece.size()});
  }
  std::size_t done = 0;
  std::size_t first_part = 0;
  while (first_part < parts.size()) {
    const ssize_t n =
        ::pwritev(fd_, parts.data() + first_part,
                  static_cast<int>(std::min<std::size_t>(parts.size() - first_part, IOV_MAX)),
                  static_cast<off_t>(offset_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("writing", path_);
    done += static_cast<std::size_t>(n);
    for (auto left = static_cast<std::size_t>(n); left > 0 && first_part < parts.size();) {
      iovec& part = parts[first_part];
      const std::size_t used = std::min(left, part.iov_len);
      part.iov_base = static_cast<std::byte*>(part.iov_base) + used;
      part.iov_len -= used;
      left -= used;
      if (part.iov_len == 0) ++first_part;
    }
  }
  const std::uint64_t position = end_;
  offset_ += needed;
  end_ += needed;
  dirty_ = true;
  return position;
}

void WalWriter::commit() {
  if (!dirty_ || fd_ < 0) return;
  if (::fdatasync(fd_) != 0) throw_errno("fdatasync of", path_);
  dirty_ = false;
}

void WalWriter::truncate_before(std::uint64_t position) {
  const std::vector<std::filesystem::path> segments = wal_segments(dir_);
  bool removed = false;
  // A segment's records all lie before `position` when the next segment starts at or before it.
  for (std::size_t k = 0; k + 1 < segments.size(); ++k) {
    if (segments[k] == path_) break;
    const std::uint64_t next_first = std::stoull(segments[k + 1].filename().string(), nullptr, 16);
    if (next_first > position) break;
    std::filesystem::remove(segments[k]);
    removed = true;
  }
  if (removed) sync_directory(dir_);
}

void WalWriter::clear() {
  commit();
  close_segment();
  for (const auto& segment : wal_segments(dir_)) std::filesystem::remove(segment);
  start_segment(0);  // empty: it keeps the log's position on disk
}

WalReader::WalReader(const std::filesystem::path& dir, std::uint64_t from,
                     std::optional<std::uint64_t> to)
    : segments_(wal_segments(dir)), position_(from), to_(to) {
  // Start at the last segment that begins at or before `from`.
  while (next_segment_ + 1 < segments_.size() &&
         std::stoull(segments_[next_segment_ + 1].filename().string(), nullptr, 16) <= from) {
    ++next_segment_;
  }
  if (!open_next_segment()) {
    if (from == 0) return;
    throw std::runtime_error(
        fmt::format("write-ahead log {}: no segments, but records from position {} are needed",
                    dir.string(), from));
  }
  while (record_ < view_.records.size()) {
    const std::uint64_t at =
        view_.first + (view_.records[record_].first - kWalRecordHeaderBytes - kWalHeaderBytes);
    if (at >= from) break;
    ++record_;
  }
  const std::uint64_t at =
      record_ < view_.records.size()
          ? view_.first + (view_.records[record_].first - kWalRecordHeaderBytes - kWalHeaderBytes)
          : view_.first + (view_.end - kWalHeaderBytes);
  if (at != from) {
    throw CorruptFile(segments_[next_segment_ - 1], FileKind::wal_segment, 0,
                      fmt::format("no record at position {} (the log holds {} to {})", from,
                                  view_.first, view_.first + (view_.end - kWalHeaderBytes)));
  }
}

bool WalReader::open_next_segment() {
  if (next_segment_ >= segments_.size()) return false;
  const std::filesystem::path& path = segments_[next_segment_];
  file_ = map_file(path.string());
  const bool last = next_segment_ + 1 == segments_.size();
  WalSegmentView view = parse_wal_segment(file_.span(), path, last);
  if (opened_ && view.first != view_.first + (view_.end - kWalHeaderBytes)) {
    throw CorruptFile(path, FileKind::wal_segment, 8,
                      fmt::format("starts at position {}, the segment before ends at {}",
                                  view.first, view_.first + (view_.end - kWalHeaderBytes)));
  }
  view_ = std::move(view);
  opened_ = true;
  record_ = 0;
  ++next_segment_;
  return true;
}

std::optional<Bytes> WalReader::next() {
  while (record_ >= view_.records.size()) {
    if (to_ && position_ >= *to_) return std::nullopt;
    if (!open_next_segment()) return std::nullopt;
  }
  if (to_ && position_ >= *to_) return std::nullopt;
  const auto [offset, length] = view_.records[record_++];
  position_ += kWalRecordHeaderBytes + length;
  return file_.slice(offset, offset + length);
}

}  // namespace sw
