#include "streamweave/operators/io/record_reader.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

#include "streamweave/operators/index_ranges.hpp"
#include "streamweave/serde/mapped_file.hpp"

namespace sw::detail {

namespace {

[[noreturn]] void fail(const char* call, const std::string& path, int error) {
  throw std::system_error(error, std::generic_category(), std::string(call) + " " + path);
}

// The end of the record starting at `begin` in [begin, size): the index of its '\n', or
// `size` when the data ends first. `complete` tells which. CSV: `quoted` says whether `begin`
// is inside quotes.
std::size_t record_end(const char* data, std::size_t begin, std::size_t size, RecordFormat format,
                       bool& complete, bool quoted = false) {
  if (format == RecordFormat::lines) {
    const void* nl = std::memchr(data + begin, '\n', size - begin);
    complete = nl != nullptr;
    return complete ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) : size;
  }
  // CSV (RFC 4180): a quote toggles quoting ("" inside quotes toggles twice).
  for (std::size_t i = begin; i < size; ++i) {
    const char c = data[i];
    if (c == '"') {
      quoted = !quoted;
    } else if (c == '\n' && !quoted) {
      complete = true;
      return i;
    }
  }
  complete = false;
  return size;
}

// The record [begin, end) without a trailing '\r'.
std::size_t trim_cr(const char* data, std::size_t begin, std::size_t end) {
  return end > begin && data[end - 1] == '\r' ? end - 1 : end;
}

// What a too-long record at `where` says.
std::string too_long(const std::optional<FilePosition>& where, const std::string& path,
                     std::size_t limit) {
  std::string at = where ? *where->file + ":" + std::to_string(where->line) + " (byte " +
                               std::to_string(where->offset) + ")"
                         : path;
  return at + ": a record longer than " + std::to_string(limit) +
         " bytes (the limit, max_line_bytes; raise it, or check that the input has line ends)";
}

}  // namespace

class RecordReader::Source {
 public:
  explicit Source(RecordLimits limits) noexcept : limits_(limits) {}
  virtual ~Source() = default;
  virtual bool read(BatchItems<Str>& out, std::size_t max) = 0;
  std::vector<std::string> take_skipped() { return std::exchange(skipped_, {}); }
  // A mapped file's ranges left to read, and its size (RecordReader::left).
  [[nodiscard]] virtual std::vector<IndexRange> left() const { return {}; }
  [[nodiscard]] virtual std::uint64_t size() const { return 0; }
  // A stream's position after the records read (RecordReader::stream_consumed).
  [[nodiscard]] virtual StreamPosition consumed() { return {}; }
  // The stream's position before its unterminated last record, once read
  // (RecordReader::stream_before_unterminated).
  [[nodiscard]] virtual std::optional<StreamPosition> before_unterminated() { return {}; }

 protected:
  // A record of `size` bytes at `where`: true when it may go on; false when it is skipped.
  // Throws RecordTooLong unless the limits skip it.
  bool fits(std::size_t size, const std::optional<FilePosition>& where, const std::string& path) {
    if (size <= limits_.max_record_bytes) return true;
    std::string message = too_long(where, path, limits_.max_record_bytes);
    if (!limits_.skip_longer) throw RecordTooLong(message);
    skipped_.push_back(std::move(message) + ": skipped");
    return false;
  }

  RecordLimits limits_;

 private:
  std::vector<std::string> skipped_;
};

namespace {

// A memory-mapped regular file: records starting in this instance's byte range.
class MappedSource final : public RecordReader::Source {
 public:
  // `resume`: the ranges a restored instance reads (RecordReader::resume), instead of its
  // share of the file.
  MappedSource(Bytes file, RecordFormat format, bool skip_first, unsigned instance,
               unsigned parallelism, RecordLimits limits,
               std::optional<std::vector<IndexRange>> resume)
      : Source(limits), file_(std::move(file)), format_(format) {
    if (resume) {
      more_ = std::move(*resume);
      (void)next_range();
      return;
    }
    const auto [begin, end] = split_range(file_.size(), instance, parallelism);
    end_ = static_cast<std::size_t>(end);
    next_ = first_record_at_or_after(static_cast<std::size_t>(begin));
    if (skip_first && instance == 0 && next_ < end_) skip_one();
  }

  [[nodiscard]] std::vector<IndexRange> left() const override {
    std::vector<IndexRange> ranges;
    if (next_ < end_) ranges.emplace_back(next_, end_);
    ranges.insert(ranges.end(), more_.begin(), more_.end());
    return ranges;
  }
  [[nodiscard]] std::uint64_t size() const override { return file_.size(); }

  bool read(BatchItems<Str>& out, std::size_t max) override {
    const char* data = chars();
    for (std::size_t n = 0; n < max;) {
      if (next_ >= end_ && !next_range()) break;
      bool complete = false;
      const std::size_t begin = next_;
      const std::size_t end = record_end(data, begin, file_.size(), format_, complete);
      next_ = complete ? end + 1 : end;
      if (end - begin > limits_.max_record_bytes &&
          !fits(end - begin, file_position(file_.slice(begin, begin + 1)), {})) {
        continue;
      }
      out.emplace_back(file_.slice(begin, trim_cr(data, begin, end)));
      ++n;
    }
    // The records read as zeros where the file lost pages: they must not go on.
    throw_if_file_shrunk(file_);
    return next_ < end_ || !more_.empty();
  }

 private:
  [[nodiscard]] const char* chars() const noexcept {
    return reinterpret_cast<const char*>(file_.data());
  }

  // Where the first record that starts at or after `begin` starts.
  [[nodiscard]] std::size_t first_record_at_or_after(std::size_t begin) const {
    if (begin == 0) return 0;
    const char* data = chars();
    // The record that holds byte begin - 1 ends where the next one starts. Inside quotes or
    // not there is the parity of the quotes before it: count them from the start.
    const bool quoted =
        format_ == RecordFormat::csv && std::count(data, data + begin - 1, '"') % 2 != 0;
    bool complete = false;
    const std::size_t end = record_end(data, begin - 1, file_.size(), format_, complete, quoted);
    return complete ? end + 1 : file_.size();
  }

  // Moves on to the next range left; false when none is.
  bool next_range() {
    while (!more_.empty()) {
      const IndexRange range = more_.front();
      more_.erase(more_.begin());
      if (range.first < range.second && range.second <= file_.size()) {
        next_ = static_cast<std::size_t>(range.first);
        end_ = static_cast<std::size_t>(range.second);
        return true;
      }
    }
    return false;
  }

  void skip_one() {
    bool complete = false;
    const std::size_t end = record_end(chars(), next_, file_.size(), format_, complete);
    next_ = complete ? end + 1 : end;
  }

  Bytes file_;
  RecordFormat format_;
  std::size_t next_ = 0;
  std::size_t end_ = 0;
  std::vector<IndexRange> more_;  // after [next_, end_), when restored
};

// A pipe, terminal or other stream, read into a growing buffer. Complete records are handed
// out as slices of a frozen chunk; the unfinished record at its end starts the next buffer,
// which grows by doubling while a record is longer than it, and only bytes not searched yet
// are searched for a record end: linear time whatever the record lengths.
class StreamSource final : public RecordReader::Source {
 public:
  // `start`: where in the whole stream the input begins (a restarted run's rest of it).
  StreamSource(int fd, bool owns_fd, std::string path, RecordFormat format, bool skip_first,
               RecordLimits limits, StreamPosition start)
      : Source(limits),
        fd_(fd),
        owns_fd_(owns_fd),
        path_(std::make_shared<const std::string>(std::move(path))),
        format_(format),
        skip_(skip_first && start.offset == 0),
        line_(start.line),
        offset_(start.offset),
        consumed_(start) {}
  ~StreamSource() override {
    if (owns_fd_) ::close(fd_);
  }
  StreamSource(const StreamSource&) = delete;
  StreamSource& operator=(const StreamSource&) = delete;

  [[nodiscard]] StreamPosition consumed() override {
    // Lines counted from where the last call left off: linear in the stream, not per call.
    const char* data = reinterpret_cast<const char*>(filled_.data());
    consumed_.line += static_cast<std::uint64_t>(std::count(data + counted_, data + next_, '\n'));
    consumed_.offset += next_ - counted_;
    counted_ = next_;
    return consumed_;
  }
  [[nodiscard]] std::optional<StreamPosition> before_unterminated() override {
    if (!unterminated_at_ || next_ < filled_.size()) return std::nullopt;
    StreamPosition at = consumed();  // the record holds no line separator
    at.offset -= filled_.size() - *unterminated_at_;
    return at;
  }

  bool read(BatchItems<Str>& out, std::size_t max) override {
    if (next_ < filled_.size()) return emit(out, max), true;
    if (eof_ && building_.size() == 0) return false;
    if (!fill()) return true;  // nothing arrived yet
    emit(out, max);
    return !(eof_ && building_.size() == 0 && next_ >= filled_.size());
  }

 private:
  static constexpr std::size_t kChunk = 256 * 1024;

  // Reads what is available (waiting up to 100 ms for the first byte), then hands out the
  // complete records. False when nothing arrived.
  bool fill() {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready < 0 && errno != EINTR) fail("poll", *path_, errno);
    if (ready <= 0) return false;
    read_available();
    if (discarding_) discard();
    if (!discarding_) find_boundary();
    const std::size_t unfinished = building_.size() - boundary_;
    if (!discarding_ && !eof_ && unfinished > limits_.max_record_bytes) {
      (void)fits(unfinished, position_of(boundary_), *path_);  // throws unless skipping
      publish(true);
    } else if (boundary_ > 0 || (eof_ && building_.size() > 0)) {
      publish(false);
    }
    return true;
  }

  // Appends what the stream has now to building_, at most about a chunk's worth.
  void read_available() {
    std::size_t got = 0;
    while (got < kChunk) {
      if (building_.capacity() - building_.size() < kChunk / 4) {
        building_.reserve(std::max(kChunk, building_.capacity() * 2));
      }
      const std::size_t before = building_.size();
      const std::size_t room = building_.capacity() - before;
      std::byte* at = building_.extend(room);
      const ssize_t n = ::read(fd_, at, room);
      building_.truncate(before + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("read", *path_, errno);
      }
      if (n == 0) {
        eof_ = true;
        return;
      }
      got += static_cast<std::size_t>(n);
      pollfd more{fd_, POLLIN, 0};
      if (::poll(&more, 1, 0) <= 0 || (more.revents & POLLIN) == 0) return;
    }
  }

  [[nodiscard]] const char* chars() const noexcept {
    return reinterpret_cast<const char*>(building_.data());
  }

  // boundary_: the end of the last complete record in building_, searching only new bytes.
  void find_boundary() {
    const char* data = chars();
    const std::size_t size = building_.size();
    if (format_ == RecordFormat::lines) {
      const void* nl = ::memrchr(data + scanned_, '\n', size - scanned_);
      if (nl != nullptr)
        boundary_ = static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1;
    } else {
      for (std::size_t i = scanned_; i < size; ++i) {
        if (data[i] == '"') {
          quoted_ = !quoted_;
        } else if (data[i] == '\n' && !quoted_) {
          boundary_ = i + 1;
        }
      }
    }
    scanned_ = size;
  }

  // Skipping a too-long record: drops bytes up to its end, keeping what follows.
  void discard() {
    const char* data = chars();
    const std::size_t size = building_.size();
    std::size_t end = size;
    for (std::size_t i = 0; i < size; ++i) {
      if (data[i] == '"' && format_ == RecordFormat::csv) {
        quoted_ = !quoted_;
      } else if (data[i] == '\n' && !quoted_) {
        end = i + 1;
        discarding_ = false;
        break;
      }
    }
    advance(data, end);
    BytesMut rest(std::max(kChunk, size - end));
    rest.append(data + end, size - end);
    building_ = std::move(rest);
    scanned_ = 0;
    boundary_ = 0;
  }

  // The stream's position of building_'s byte `at`.
  [[nodiscard]] std::optional<FilePosition> position_of(std::size_t at) const {
    const char* data = chars();
    return FilePosition{path_.get(),
                        line_ + static_cast<std::uint64_t>(std::count(data, data + at, '\n')),
                        offset_ + at};
  }

  // Moves the stream position past `n` bytes of building_.
  void advance(const char* data, std::size_t n) {
    line_ += static_cast<std::uint64_t>(std::count(data, data + n, '\n'));
    offset_ += n;
  }

  // Hands out building_ up to boundary_ (all of it at the end of the stream) as the chunk
  // whose records emit() slices; the rest starts the next buffer, or is dropped when
  // `drop_rest` (a too-long record being skipped).
  void publish(bool drop_rest) {
    const std::size_t size = building_.size();
    const std::size_t end = eof_ && !drop_rest ? size : boundary_;
    const char* data = chars();
    BytesMut rest(std::max(kChunk, drop_rest ? 0 : (size - end) * 2));
    if (!drop_rest) rest.append(data + end, size - end);
    const std::uint64_t line = line_;
    const std::uint64_t offset = offset_;
    advance(data, drop_rest ? size : end);
    Bytes chunk = std::exchange(building_, std::move(rest)).freeze().slice(0, end);
    filled_ = with_stream_position(std::move(chunk), path_, line, offset);
    next_ = 0;
    counted_ = 0;
    consumed_ = {offset, line};
    scanned_ = drop_rest ? 0 : building_.size();
    boundary_ = 0;
    discarding_ = drop_rest;
  }

  void emit(BatchItems<Str>& out, std::size_t max) {
    const char* data = reinterpret_cast<const char*>(filled_.data());
    const std::size_t size = filled_.size();
    for (std::size_t n = 0; n < max && next_ < size;) {
      bool complete = false;
      const std::size_t begin = next_;
      const std::size_t end = record_end(data, begin, size, format_, complete);
      next_ = complete ? end + 1 : end;
      if (!complete) unterminated_at_ = begin;  // only the stream's end is cut short
      if (skip_) {
        skip_ = false;
        continue;
      }
      if (end - begin > limits_.max_record_bytes &&
          !fits(end - begin, file_position(filled_.slice(begin, begin + 1)), *path_)) {
        continue;
      }
      out.emplace_back(filled_.slice(begin, trim_cr(data, begin, end)));
      ++n;
    }
  }

  int fd_;
  bool owns_fd_;
  std::shared_ptr<const std::string> path_;
  RecordFormat format_;
  bool skip_;
  bool eof_ = false;
  BytesMut building_;
  std::size_t scanned_ = 0;   // bytes of building_ searched for a record end
  std::size_t boundary_ = 0;  // the end of its last complete record (0: none yet)
  bool quoted_ = false;       // CSV: inside quotes at scanned_
  bool discarding_ = false;   // dropping the rest of a too-long record
  std::uint64_t line_;        // the stream's line and byte offset at building_'s start
  std::uint64_t offset_;
  Bytes filled_;  // complete records, handed out from next_
  std::size_t next_ = 0;
  std::optional<std::size_t> unterminated_at_;  // in filled_: the last record, cut short
  StreamPosition consumed_;                     // the stream's position at filled_'s byte counted_
  std::size_t counted_ = 0;
};

// Instances other than 0 of a stream: nothing to read.
class EmptySource final : public RecordReader::Source {
 public:
  EmptySource() noexcept : Source(RecordLimits{}) {}
  bool read(BatchItems<Str>&, std::size_t) override { return false; }
};

}  // namespace

RecordReader::RecordReader(std::string path, RecordFormat format, bool skip_first,
                           unsigned instance, unsigned parallelism, RecordLimits limits)
    : path_(std::move(path)),
      format_(format),
      skip_first_(skip_first),
      instance_(instance),
      parallelism_(parallelism),
      limits_(limits) {}
RecordReader::RecordReader(RecordReader&&) noexcept = default;
RecordReader& RecordReader::operator=(RecordReader&&) noexcept = default;
RecordReader::~RecordReader() = default;

void RecordReader::open() {
  if (path_ == "-") {
    source_ =
        instance_ == 0
            ? std::unique_ptr<Source>(std::make_unique<StreamSource>(
                  STDIN_FILENO, false, "<stdin>", format_, skip_first_, limits_, stream_start_))
            : std::make_unique<EmptySource>();
    return;
  }
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) fail("open", path_, errno);
  if (S_ISDIR(st.st_mode)) fail("read", path_ + " (a directory)", EISDIR);
  if (S_ISREG(st.st_mode)) {
    Bytes file = map_file(path_);
    if (resume_at_ && file.size() != resume_size_) {
      throw std::runtime_error(path_ + ": cannot resume reading it: it has " +
                               std::to_string(file.size()) + " bytes, " +
                               std::to_string(resume_size_) + " when the checkpoint was taken");
    }
    source_ = std::make_unique<MappedSource>(std::move(file), format_, skip_first_, instance_,
                                             parallelism_, limits_, std::move(resume_at_));
    return;
  }
  if (instance_ != 0) {
    source_ = std::make_unique<EmptySource>();
    return;
  }
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("open", path_, errno);
  source_ =
      std::make_unique<StreamSource>(fd, true, path_, format_, skip_first_, limits_, stream_start_);
}

bool RecordReader::read(BatchItems<Str>& out, std::size_t max) {
  if (!source_) open();
  return source_->read(out, max);
}

bool RecordReader::rewindable() const {
  struct stat st {};
  // A path that does not exist fails when it is opened, with its own error.
  return path_ != "-" && (::stat(path_.c_str(), &st) != 0 || S_ISREG(st.st_mode));
}

std::vector<IndexRange> RecordReader::left() {
  if (!source_) open();
  return source_->left();
}

std::uint64_t RecordReader::file_size() {
  if (!source_) open();
  return source_->size();
}

void RecordReader::resume(std::vector<IndexRange> ranges, std::uint64_t size) {
  if (source_) throw std::logic_error("RecordReader::resume after the first read");
  resume_at_ = std::move(ranges);
  resume_size_ = size;
}

StreamPosition RecordReader::stream_consumed() const {
  return source_ ? source_->consumed() : stream_start_;
}

std::optional<StreamPosition> RecordReader::stream_before_unterminated() const {
  return source_ ? source_->before_unterminated() : std::nullopt;
}

void RecordReader::stream_starts_at(StreamPosition at) {
  if (source_) throw std::logic_error("RecordReader::stream_starts_at after the first read");
  stream_start_ = at;
}

std::vector<std::string> RecordReader::take_skipped() {
  return source_ ? source_->take_skipped() : std::vector<std::string>{};
}

std::string first_record(const std::string& path, RecordFormat format) {
  RecordReader reader(path, format, false, 0, 1);
  BatchItems<Str> records;
  while (records.empty() && reader.read(records, 1)) {
  }
  if (records.empty()) throw std::runtime_error(path + " is empty: it has no header");
  return records.front().str();
}

}  // namespace sw::detail
