// Write-ahead log: records (byte strings) appended to fixed-size segment files in a directory,
// each with its length and CRC32C, made durable many at a time (group commit: one fdatasync
// for every record appended since the last), and read back through a memory mapping as slices
// of it — no record is copied on the way back.
//
// A record's position is its offset in the log as if the segments were one file without
// headers; positions only grow, across segments and runs. Segment "<dir>/<16 hex digits of its
// first position>.wal":
//
//   0 magic "SWW1" u32   4 version u16   6 reserved u16   8 first position u64
//   16 capacity u64 (the file's size)   24 CRC32C of bytes 0..24 u32   28 reserved u32
//   32 records: length u32 (> 0)   CRC32C of the length's 4 bytes and the payload u32   payload
//
// A length with its top bit set (version 2) is padding: the rest of the length counts bytes that
// follow its header and hold nothing, and its CRC covers the length's 4 bytes only. A commit that
// covers many bytes pads the segment to the next 64 KiB boundary before its fdatasync, so that
// every large commit writes an aligned range: disks (virtual ones markedly) write those faster.
// Padding takes positions like a record; readers skip it.
//
// Once commits cover several records, the writer gathers records into one buffer and writes
// them in large aligned writes (many small writes that share pages are slow to sync); a record
// committed on its own is written from where it is, without a copy. Either way a record is
// durable only after commit(); a writer closed without one still writes what it gathered.
//
// A segment is sized to its capacity when created (sparse: it reads as zeros), so that a
// commit does not change the file's size; a length of 0 ends it. A record that does not fit
// starts the next segment (a record larger than a segment gets a segment of its own size).
//
// After a crash, the last segment may end in a record that was being written: its length or
// checksum is wrong. Opening the log for appending cuts the log there (zeroing the rest of the
// segment); reading stops there. The same damage in any other segment, a gap between segments
// or a bad header is corruption: CorruptFile names the segment and the byte.
//
// Thread safety: a WalWriter or WalReader belongs to one thread; segments removed by a
// writer's truncate_before() must not be being read by a reader.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <sys/uio.h>

#include "streamweave/serde/bytes.hpp"

namespace sw {

inline constexpr std::uint32_t kWalMagic = 0x31575753;  // "SWW1" as bytes on disk
inline constexpr std::uint16_t kWalVersion = 2;         // reads 1 too: the same without padding
inline constexpr std::size_t kWalHeaderBytes = 32;
inline constexpr std::size_t kWalRecordHeaderBytes = 8;
inline constexpr std::uint64_t kDefaultWalSegmentBytes = 64ull << 20;
inline constexpr std::uint32_t kMaxWalRecordBytes = (1u << 31) - 1;
inline constexpr std::uint32_t kWalPaddingFlag = 1u << 31;
// A commit pads to the next kWalAlignBytes boundary once it covers kWalPadAfterBytes or more.
inline constexpr std::size_t kWalAlignBytes = 64 << 10;
inline constexpr std::size_t kWalPadAfterBytes = 256 << 10;
// Records appended between commits that cover several are gathered into a buffer this large
// and written in few large writes (records over half of it are written from where they are).
inline constexpr std::size_t kWalStageBytes = 1 << 20;

// One segment as parse_wal_segment finds it.
struct WalSegmentView {
  std::uint64_t first = 0;  // the position of its first record
  // Offsets in the file of its intact records' payloads, and their lengths.
  std::vector<std::pair<std::size_t, std::uint32_t>> records;
  std::size_t end = kWalHeaderBytes;  // the file offset after its last intact record or padding
  bool torn = false;                  // a damaged record follows them (not a 0 length)
  std::size_t torn_bytes = 0;         // from `end` to the last non-zero byte, when torn
};

// Parses a segment file (its bytes, `path` for errors). `last`: the log's last segment, where a
// damaged record ends the log (torn); elsewhere it throws CorruptFile, as does a bad header.
[[nodiscard]] WalSegmentView parse_wal_segment(std::span<const std::byte> file,
                                               const std::filesystem::path& path, bool last);

// The segments of the log in `dir`, ordered by first position (none when `dir` does not exist).
[[nodiscard]] std::vector<std::filesystem::path> wal_segments(const std::filesystem::path& dir);

class WalWriter {
 public:
  // Opens the log in `dir` (created when missing) to append after its last intact record; a
  // torn record at its end is cut off. Throws CorruptFile for damage elsewhere,
  // std::system_error naming the path for a failing call.
  explicit WalWriter(std::filesystem::path dir,
                     std::uint64_t segment_bytes = kDefaultWalSegmentBytes);
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;
  ~WalWriter();

  // Appends a record (the concatenation of `pieces`, 1 byte to 2 GiB - 1; copied or written
  // before it returns); durable after the next commit(). Returns its position.
  std::uint64_t append(std::span<const std::span<const std::byte>> pieces);
  std::uint64_t append(std::span<const std::byte> payload) {
    return append(std::span(&payload, 1));
  }
  // Makes every record appended so far durable: one fdatasync (group commit). A no-op when
  // nothing was appended since the last. May pad the log first (end() moves past the padding).
  void commit();
  // The position after the last record (or padding): the next record's.
  [[nodiscard]] std::uint64_t end() const noexcept { return end_; }
  // Bytes cut off as a torn record when the log was opened (0 after a clean stop).
  [[nodiscard]] std::uint64_t torn_bytes() const noexcept { return torn_bytes_; }
  // A copy of the log's last intact record when it was opened (empty when it held none).
  [[nodiscard]] const Bytes& last_record_at_open() const noexcept { return last_record_; }
  // Removes the segments whose records all lie before `position` (never the one being
  // appended to).
  void truncate_before(std::uint64_t position);
  // Removes every record: the log goes on empty, from end() (one empty segment keeps it).
  void clear();

 private:
  void open_last(const std::filesystem::path& segment, const Bytes& file,
                 const WalSegmentView& view);
  void start_segment(std::uint64_t min_bytes);
  void close_segment() noexcept;
  void pad_to_boundary();
  // Writes `bytes` (the concatenation of `pieces`) at offset_ and moves it on: staged, or
  // straight to the file.
  void put_bytes(std::span<const std::span<const std::byte>> pieces, std::size_t bytes);
  // Writes the staged bytes: all of them, or (`all` false) those before the last boundary.
  void flush_stage(bool all);

  std::filesystem::path dir_;
  std::uint64_t segment_bytes_;
  int fd_ = -1;
  std::filesystem::path path_;  // of the segment being appended to
  std::uint64_t first_ = 0;     // its first position
  std::uint64_t capacity_ = 0;  // its size
  std::size_t offset_ = 0;      // where its next record goes (staged bytes before it)
  std::size_t committed_ = 0;   // offset_ at the last commit
  std::uint64_t end_ = 0;
  std::uint64_t torn_bytes_ = 0;
  std::size_t appended_ = 0;            // records since the last commit
  bool staging_ = false;                // the last commit covered several records: gather them
  std::unique_ptr<std::byte[]> stage_;  // kWalStageBytes, once staging
  std::size_t staged_ = 0;              // bytes in it: the file's from offset_ - staged_
  Bytes last_record_;
  // Kept to spare an allocation per record.
  std::vector<iovec> parts_;
  std::vector<std::span<const std::byte>> pieces_;
};

class WalReader {
 public:
  // Reads the log in `dir` from `from` (a record's position, or the end) up to `to` (the
  // position after the last record to read; the log's end when nullopt). Throws CorruptFile
  // when a segment it reads is damaged before `to`, or `from` is not a record's position.
  WalReader(const std::filesystem::path& dir, std::uint64_t from,
            std::optional<std::uint64_t> to = std::nullopt);

  // The next record, as a slice of its segment's mapping; nullopt after the last.
  [[nodiscard]] std::optional<Bytes> next();
  // The position of the record next() returns next (or of padding before it).
  [[nodiscard]] std::uint64_t position() const noexcept { return position_; }

 private:
  bool open_next_segment();
  // The position of the view's k-th record (the segment's end for k == its record count).
  [[nodiscard]] std::uint64_t position_of(std::size_t k) const noexcept;

  std::vector<std::filesystem::path> segments_;
  std::size_t next_segment_ = 0;
  Bytes file_;
  WalSegmentView view_;  // of file_
  bool opened_ = false;
  std::size_t record_ = 0;
  std::uint64_t position_;
  std::optional<std::uint64_t> to_;
};

}  // namespace sw
