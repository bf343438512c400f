#include "streamweave/operators/io/record_reader.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "streamweave/operators/generate.hpp"
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

}  // namespace

class RecordReader::Source {
 public:
  virtual ~Source() = default;
  virtual bool read(BatchItems<Str>& out, std::size_t max) = 0;
};

namespace {

// A memory-mapped regular file: records starting in this instance's byte range.
class MappedSource final : public RecordReader::Source {
 public:
  MappedSource(Bytes file, RecordFormat format, bool skip_first, unsigned instance,
               unsigned parallelism)
      : file_(std::move(file)), format_(format) {
    const auto [begin, end] = split_range(file_.size(), instance, parallelism);
    end_ = static_cast<std::size_t>(end);
    next_ = first_record_at_or_after(static_cast<std::size_t>(begin));
    if (skip_first && instance == 0 && next_ < end_) skip_one();
  }

  bool read(BatchItems<Str>& out, std::size_t max) override {
    const char* data = chars();
    for (std::size_t n = 0; n < max && next_ < end_; ++n) {
      bool complete = false;
      const std::size_t end = record_end(data, next_, file_.size(), format_, complete);
      out.emplace_back(file_.slice(next_, trim_cr(data, next_, end)));
      next_ = complete ? end + 1 : end;
    }
    // The records read as zeros where the file lost pages: they must not go on.
    throw_if_file_shrunk(file_);
    return next_ < end_;
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

  void skip_one() {
    bool complete = false;
    const std::size_t end = record_end(chars(), next_, file_.size(), format_, complete);
    next_ = complete ? end + 1 : end;
  }

  Bytes file_;
  RecordFormat format_;
  std::size_t next_ = 0;
  std::size_t end_ = 0;
};

// A pipe, terminal or other stream: read in chunks; records are slices of a chunk, and the
// unfinished record at a chunk's end moves to the start of the next one.
class StreamSource final : public RecordReader::Source {
 public:
  StreamSource(int fd, bool owns_fd, std::string path, RecordFormat format, bool skip_first)
      : fd_(fd), owns_fd_(owns_fd), path_(std::move(path)), format_(format), skip_(skip_first) {}
  ~StreamSource() override {
    if (owns_fd_) ::close(fd_);
  }
  StreamSource(const StreamSource&) = delete;
  StreamSource& operator=(const StreamSource&) = delete;

  bool read(BatchItems<Str>& out, std::size_t max) override {
    if (next_ < filled_.size()) return emit_from_filled(out, max), true;
    if (eof_) return false;
    if (!fill()) return true;  // nothing arrived yet
    emit_from_filled(out, max);
    return !(eof_ && next_ >= filled_.size());
  }

 private:
  static constexpr std::size_t kChunk = 256 * 1024;

  // Reads what is available (waiting up to 100 ms for the first byte) after the pending
  // unfinished record, then freezes the chunk. False when nothing arrived.
  bool fill() {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready < 0 && errno != EINTR) fail("poll", path_, errno);
    if (ready <= 0) return false;
    BytesMut chunk(std::max(kChunk, pending_.size() * 2));
    chunk.append(pending_.data(), pending_.size());
    const std::size_t kept = pending_.size();
    pending_.clear();
    while (chunk.size() < chunk.capacity()) {
      const std::size_t room = chunk.capacity() - chunk.size();
      const std::size_t before = chunk.size();
      std::byte* at = chunk.extend(room);
      const ssize_t n = ::read(fd_, at, room);
      if (n < 0) {
        chunk.truncate(before);
        if (errno == EINTR) continue;
        fail("read", path_, errno);
      }
      chunk.truncate(before + static_cast<std::size_t>(n));
      if (n == 0) {
        eof_ = true;
        break;
      }
      pollfd more{fd_, POLLIN, 0};
      if (::poll(&more, 1, 0) <= 0 || (more.revents & POLLIN) == 0) break;
    }
    const bool got = chunk.size() > kept || eof_;
    filled_ = chunk.freeze();
    next_ = 0;
    // Complete records end before the last record boundary; keep the rest for the next fill.
    const char* data = reinterpret_cast<const char*>(filled_.data());
    std::size_t complete_end = 0;
    for (std::size_t at = 0; at < filled_.size();) {
      bool complete = false;
      const std::size_t end = record_end(data, at, filled_.size(), format_, complete);
      if (!complete) break;
      complete_end = end + 1;
      at = end + 1;
    }
    if (!eof_) {
      pending_.assign(data + complete_end, filled_.size() - complete_end);
      limit_ = complete_end;
    } else {
      limit_ = filled_.size();
    }
    return got;
  }

  void emit_from_filled(BatchItems<Str>& out, std::size_t max) {
    const char* data = reinterpret_cast<const char*>(filled_.data());
    for (std::size_t n = 0; n < max && next_ < limit_;) {
      bool complete = false;
      const std::size_t end = record_end(data, next_, limit_, format_, complete);
      const std::size_t begin = next_;
      next_ = complete ? end + 1 : end;
      if (skip_) {
        skip_ = false;
        continue;
      }
      out.emplace_back(filled_.slice(begin, trim_cr(data, begin, end)));
      ++n;
    }
    if (next_ >= limit_) next_ = filled_.size();  // the rest is pending_
  }

  int fd_;
  bool owns_fd_;
  std::string path_;
  RecordFormat format_;
  bool skip_;
  bool eof_ = false;
  Bytes filled_;
  std::size_t next_ = 0;
  std::size_t limit_ = 0;
  std::string pending_;
};

// Instances other than 0 of a stream: nothing to read.
class EmptySource final : public RecordReader::Source {
 public:
  bool read(BatchItems<Str>&, std::size_t) override { return false; }
};

}  // namespace

RecordReader::RecordReader(std::string path, RecordFormat format, bool skip_first,
                           unsigned instance, unsigned parallelism)
    : path_(std::move(path)),
      format_(format),
      skip_first_(skip_first),
      instance_(instance),
      parallelism_(parallelism) {}
RecordReader::RecordReader(RecordReader&&) noexcept = default;
RecordReader& RecordReader::operator=(RecordReader&&) noexcept = default;
RecordReader::~RecordReader() = default;

void RecordReader::open() {
  if (path_ == "-") {
    source_ = instance_ == 0 ? std::unique_ptr<Source>(std::make_unique<StreamSource>(
                                   STDIN_FILENO, false, "<stdin>", format_, skip_first_))
                             : std::make_unique<EmptySource>();
    return;
  }
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) fail("open", path_, errno);
  if (S_ISREG(st.st_mode)) {
    source_ = std::make_unique<MappedSource>(map_file(path_), format_, skip_first_, instance_,
                                             parallelism_);
    return;
  }
  if (instance_ != 0) {
    source_ = std::make_unique<EmptySource>();
    return;
  }
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("open", path_, errno);
  source_ = std::make_unique<StreamSource>(fd, true, path_, format_, skip_first_);
}

bool RecordReader::read(BatchItems<Str>& out, std::size_t max) {
  if (!source_) open();
  return source_->read(out, max);
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
