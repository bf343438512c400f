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

// Writes `parts` (consumed) at `offset`, in as few calls as the kernel takes.
void write_parts(int fd, std::vector<iovec>& parts, std::uint64_t offset,
                 const std::filesystem::path& path) {
  std::size_t done = 0;
  std::size_t first_part = 0;
  while (first_part < parts.size()) {
    const ssize_t n =
        ::pwritev(fd, parts.data() + first_part,
                  static_cast<int>(std::min<std::size_t>(parts.size() - first_part, IOV_MAX)),
                  static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("writing", path);
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
}

void write_all(int fd, std::span<const std::byte> bytes, std::uint64_t offset,
               const std::filesystem::path& path) {
  std::vector<iovec> parts{{const_cast<std::byte*>(bytes.data()), bytes.size()}};
  write_parts(fd, parts, offset, path);
}

// The position of the byte at file offset `offset` of the segment `view`.
std::uint64_t position_at(const WalSegmentView& view, std::size_t offset) noexcept {
  return view.first + (offset - kWalHeaderBytes);
}
// The position after the segment's last record or padding: the next segment's first.
std::uint64_t end_of(const WalSegmentView& view) noexcept {
  return position_at(view, view.end);
}

// Checks a segment's header (throws CorruptFile); returns its version.
std::uint16_t check_header(std::span<const std::byte> file, const std::filesystem::path& path) {
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
  const auto version = get<std::uint16_t>(h + 4);
  if (version != 1 && version != kWalVersion) {
    fail(4, fmt::format("version {}, this build reads 1 to {}", version, kWalVersion));
  }
  if (const auto capacity = get<std::uint64_t>(h + 16); capacity != file.size()) {
    fail(16, fmt::format("{} bytes, the header says {}", file.size(), capacity));
  }
  return version;
}

}  // namespace

WalSegmentView parse_wal_segment(std::span<const std::byte> file, const std::filesystem::path& path,
                                 bool last) {
  const std::uint16_t version = check_header(file, path);
  WalSegmentView view;
  view.first = get<std::uint64_t>(file.data() + 8);
  std::size_t at = kWalHeaderBytes;
  while (file.size() - at >= kWalRecordHeaderBytes) {
    const auto length = get<std::uint32_t>(file.data() + at);
    if (length == 0) break;  // the rest of the segment, never written
    const bool padding = version >= 2 && (length & kWalPaddingFlag) != 0;
    const std::uint32_t size = padding ? length & ~kWalPaddingFlag : length;
    const std::size_t room = file.size() - at - kWalRecordHeaderBytes;
    const auto payload =
        file.subspan(at + kWalRecordHeaderBytes, std::min<std::size_t>(size, room));
    const auto checked = padding ? std::span<const std::span<const std::byte>>{}
                                 : std::span(&payload, 1);  // padding: its length only
    if (size > room || get<std::uint32_t>(file.data() + at + 4) != record_crc(length, checked)) {
      if (!last) {
        throw CorruptFile(
            path, FileKind::wal_segment, at,
            size > room ? fmt::format("{} of {} bytes runs past the end",
                                      padding ? "padding" : "a record", size)
                        : fmt::format("{} checksum mismatch", padding ? "padding" : "record"));
      }
      view.torn = true;
      break;
    }
    if (!padding) view.records.emplace_back(at + kWalRecordHeaderBytes, size);
    at += kWalRecordHeaderBytes + size;
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
    expected = end_of(view);
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
  committed_ = offset_;
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
  try {
    flush_stage(true);  // appended, not committed: written as they would have been unstaged
  } catch (const std::system_error&) {
    // Never committed, so never promised; the next open cuts whatever part of them is torn.
  }
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
  committed_ = offset_;
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
  pieces_.clear();
  pieces_.emplace_back(header);
  pieces_.insert(pieces_.end(), pieces.begin(), pieces.end());
  put_bytes(pieces_, needed);
  const std::uint64_t position = end_;
  end_ += needed;
  ++appended_;
  return position;
}

void WalWriter::put_bytes(std::span<const std::span<const std::byte>> pieces, std::size_t bytes) {
  if (!staging_ || bytes > kWalStageBytes / 2) {
    flush_stage(true);
    // One write for a record's header and its pieces: a torn write is still caught by the CRC.
    parts_.clear();
    for (const auto& piece : pieces) {
      if (!piece.empty()) parts_.push_back({const_cast<std::byte*>(piece.data()), piece.size()});
    }
    write_parts(fd_, parts_, offset_, path_);
  } else {
    if (!stage_) stage_ = std::make_unique_for_overwrite<std::byte[]>(kWalStageBytes);
    if (staged_ + bytes > kWalStageBytes) flush_stage(false);
    for (const auto& piece : pieces) {
      std::memcpy(stage_.get() + staged_, piece.data(), piece.size());
      staged_ += piece.size();
    }
  }
  offset_ += bytes;
}

void WalWriter::flush_stage(bool all) {
  if (staged_ == 0) return;
  const std::size_t start = offset_ - staged_;  // the file offset of the stage's first byte
  const std::size_t aligned_end = offset_ / kWalAlignBytes * kWalAlignBytes;
  // Short of a commit, only up to a boundary: the rest is written with what follows it.
  const std::size_t upto = all || aligned_end <= start ? staged_ : aligned_end - start;
  parts_.clear();
  parts_.push_back({stage_.get(), upto});
  write_parts(fd_, parts_, start, path_);
  std::memmove(stage_.get(), stage_.get() + upto, staged_ - upto);
  staged_ -= upto;
}

void WalWriter::commit() {
  if (offset_ == committed_ || fd_ < 0) return;
  if (offset_ - committed_ >= kWalPadAfterBytes) pad_to_boundary();
  flush_stage(true);
  if (::fdatasync(fd_) != 0) throw_errno("fdatasync of", path_);
  committed_ = offset_;
  // Copying records into one write pays only when a commit covers several (measured:
  // bench/wal_rate); a record committed alone is written from where it is.
  staging_ = appended_ > 1;
  appended_ = 0;
}

void WalWriter::pad_to_boundary() {
  std::size_t boundary = (offset_ + kWalAlignBytes - 1) / kWalAlignBytes * kWalAlignBytes;
  if (boundary - offset_ < kWalRecordHeaderBytes && boundary != offset_) {
    boundary += kWalAlignBytes;
  }
  if (boundary == offset_ || boundary > capacity_) return;
  const std::size_t bytes = boundary - offset_;
  const auto length = static_cast<std::uint32_t>(bytes - kWalRecordHeaderBytes);
  std::array<std::byte, kWalRecordHeaderBytes> header{};
  put(header.data(), length | kWalPaddingFlag);
  put(header.data() + 4, record_crc(length | kWalPaddingFlag, {}));
  // The padding's bytes are written (zeros) so that the commit's range ends on the boundary too.
  static const std::vector<std::byte> zeros(kWalAlignBytes);
  const std::array<std::span<const std::byte>, 2> pieces{header, std::span(zeros).first(length)};
  put_bytes(pieces, bytes);
  end_ += bytes;
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
  while (record_ < view_.records.size() && position_of(record_) < from) ++record_;
  // `from` may also be where padding after the record before starts (end() before a commit).
  const std::uint64_t after_previous =
      record_ == 0 ? view_.first
                   : position_at(view_, view_.records[record_ - 1].first +
                                            view_.records[record_ - 1].second);
  if (position_of(record_) != from && after_previous != from) {
    throw CorruptFile(segments_[next_segment_ - 1], FileKind::wal_segment, 0,
                      fmt::format("no record at position {} (the log holds {} to {})", from,
                                  view_.first, end_of(view_)));
  }
}

std::uint64_t WalReader::position_of(std::size_t k) const noexcept {
  const std::size_t offset =
      k < view_.records.size() ? view_.records[k].first - kWalRecordHeaderBytes : view_.end;
  return position_at(view_, offset);
}

bool WalReader::open_next_segment() {
  if (next_segment_ >= segments_.size()) return false;
  const std::filesystem::path& path = segments_[next_segment_];
  file_ = map_file(path.string());
  const bool last = next_segment_ + 1 == segments_.size();
  WalSegmentView view = parse_wal_segment(file_.span(), path, last);
  if (opened_ && view.first != end_of(view_)) {
    throw CorruptFile(path, FileKind::wal_segment, 8,
                      fmt::format("starts at position {}, the segment before ends at {}",
                                  view.first, end_of(view_)));
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
  position_ = position_of(record_);
  return file_.slice(offset, offset + length);
}

}  // namespace sw
