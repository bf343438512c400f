// RecordReader: one parallel instance's share of a text input, as records that are Str
// slices of the input (lines, or CSV records whose quoted fields may hold line breaks).
//
// A regular file is memory-mapped and split by byte range: instance i of n takes the records
// that *start* in [size*i/n, size*(i+1)/n), so together the instances read every record
// exactly once, without copying a byte. Anything else (a pipe, a terminal, "-" for standard
// input) is read as a stream by instance 0 alone, in pooled chunks that the records slice.
//
// Records end at '\n' (outside quotes for CSV); the '\n' and a '\r' before it are not part of
// the record. A last record without '\n' is read too.
// Thread safety: one reader per instance, used by its task only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "streamweave/engine/batch.hpp"
#include "streamweave/serde/bytes.hpp"
#include "streamweave/serde/str.hpp"

namespace sw::detail {

enum class RecordFormat : std::uint8_t { lines, csv };

class RecordReader {
 public:
  // Opens nothing yet: the first read() does, so that a missing file fails while the graph
  // runs, naming the node. skip_first: the input's first record is a header (instance 0
  // skips it).
  RecordReader(std::string path, RecordFormat format, bool skip_first, unsigned instance,
               unsigned parallelism);
  RecordReader(RecordReader&&) noexcept;
  RecordReader& operator=(RecordReader&&) noexcept;
  ~RecordReader();

  // Appends at most `max` records to `out`. Returns false once the share is exhausted. Reading
  // a stream it waits at most ~100 ms for input and may return true with nothing appended.
  // Throws std::system_error naming the path when the input cannot be opened or read.
  bool read(BatchItems<Str>& out, std::size_t max);

  // Where a stream's record came from ("<path>:<line>"); for mapped files, where_in_file()
  // finds it from the record itself.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  // How the records are read (a mapping or a stream); private to the implementation.
  class Source;

 private:
  void open();

  std::string path_;
  RecordFormat format_;
  bool skip_first_;
  unsigned instance_;
  unsigned parallelism_;
  std::unique_ptr<Source> source_;
};

// The first record of the file at `path` (a CSV header): throws std::system_error when it
// cannot be read, std::runtime_error when the file is empty.
[[nodiscard]] std::string first_record(const std::string& path, RecordFormat format);

}  // namespace sw::detail
