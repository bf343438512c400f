// RecordReader: one parallel instance's share of a text input, as records that are Str
// slices of the input (lines, or CSV records whose quoted fields may hold line breaks).
//
// A regular file is memory-mapped and split by byte range: instance i of n takes the records
// that *start* in [size*i/n, size*(i+1)/n), so together the instances read every record
// exactly once, without copying a byte. Anything else (a pipe, a terminal, "-" for standard
// input) is read as a stream by instance 0 alone, in pooled chunks that the records slice.
//
// Records end at '\n' (outside quotes for CSV); the '\n' and a '\r' before it are not part of
// the record. A last record without '\n' is read too. A stream is read in time linear in its
// size however long its records are; a record longer than RecordLimits::max_record_bytes
// fails the read, or is skipped and reported (RecordLimits::skip_longer), so that a stream
// without line ends (/dev/zero) holds at most that much memory. A stream's records know
// where they came from, as a mapped file's do (file_position: "<stdin>:17", byte offset).
// Thread safety: one reader per instance, used by its task only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "streamweave/engine/batch.hpp"
#include "streamweave/operators/index_ranges.hpp"
#include "streamweave/serde/bytes.hpp"
#include "streamweave/serde/str.hpp"

namespace sw::detail {

enum class RecordFormat : std::uint8_t { lines, csv };

}  // namespace sw::detail

namespace sw {

// The default longest record (line) the file sources take: 64 MiB.
inline constexpr std::size_t kDefaultMaxRecordBytes = std::size_t{64} << 20;

// How the file sources treat records that are too long.
struct RecordLimits {
  std::size_t max_record_bytes = kDefaultMaxRecordBytes;
  // false: a longer record fails the source (RecordTooLong); true: it is skipped, counted as
  // an error of the source node and named in its report.
  bool skip_longer = false;
};

// A record longer than RecordLimits::max_record_bytes. what(): "<file>:<line> (byte
// <offset>): a record longer than N bytes ...".
class RecordTooLong : public std::length_error {
 public:
  using std::length_error::length_error;
};

}  // namespace sw

namespace sw::detail {

// A place in a stream: bytes from its start, and the line there (1-based).
struct StreamPosition {
  std::uint64_t offset = 0;
  std::uint64_t line = 1;
};

class RecordReader {
 public:
  // Opens nothing yet: the first read() does, so that a missing file fails while the graph
  // runs, naming the node. skip_first: the input's first record is a header (instance 0
  // skips it).
  RecordReader(std::string path, RecordFormat format, bool skip_first, unsigned instance,
               unsigned parallelism, RecordLimits limits = {});
  RecordReader(RecordReader&&) noexcept;
  RecordReader& operator=(RecordReader&&) noexcept;
  ~RecordReader();

  // Appends at most `max` records to `out`. Returns false once the share is exhausted. Reading
  // a stream it waits at most ~100 ms for input and may return true with nothing appended.
  // Throws std::system_error naming the path when the input cannot be opened or read.
  bool read(BatchItems<Str>& out, std::size_t max);

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  // Checkpoints. Whether the input can be read again from a saved position: a regular file
  // (a stream cannot: what was read from it is gone).
  [[nodiscard]] bool rewindable() const;
  // What is left to read: byte ranges [begin, end) of the file, each beginning at a record,
  // whose records are the ones starting before its end; and the file's size. Opens the file.
  [[nodiscard]] std::vector<IndexRange> left();
  [[nodiscard]] std::uint64_t file_size();
  // From now on, reads the records of `ranges` only (a restored position), in a file of
  // `size` bytes. Throws std::runtime_error when the file's size changed since.
  void resume(std::vector<IndexRange> ranges, std::uint64_t size);
  // Streams: the position after the last record read — where a run restarted after a crash
  // reads the stream on from, once its write-ahead log has replayed what was read before.
  [[nodiscard]] StreamPosition stream_consumed() const;
  // Streams: when the last record read is the stream's end cut short (no separator after
  // it), the position before it; else nullopt.
  [[nodiscard]] std::optional<StreamPosition> stream_before_unterminated() const;
  // Streams: the input given is the stream from `at` on (a restarted run's), so errors name
  // the stream's own lines and offsets and a header read before is not skipped again. Before
  // the first read.
  void stream_starts_at(StreamPosition at);
  // The records skipped for their length since the last call, each as "<file>:<line> (byte
  // <offset>): ..." (RecordLimits::skip_longer).
  [[nodiscard]] std::vector<std::string> take_skipped();

  // How the records are read (a mapping or a stream); private to the implementation.
  class Source;

 private:
  void open();

  std::string path_;
  RecordFormat format_;
  bool skip_first_;
  unsigned instance_;
  unsigned parallelism_;
  RecordLimits limits_;
  std::unique_ptr<Source> source_;
  std::optional<std::vector<IndexRange>> resume_at_;  // applied when the file is opened
  StreamPosition stream_start_;                       // likewise, for a stream
  std::uint64_t resume_size_ = 0;
};

// The first record of the file at `path` (a CSV header): throws std::system_error when it
// cannot be read, std::runtime_error when the file is empty.
[[nodiscard]] std::string first_record(const std::string& path, RecordFormat format);

}  // namespace sw::detail
