#include "streamweave/operators/io/stream_log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "streamweave/serde/binary.hpp"
#include "streamweave/serde/mapped_file.hpp"

namespace sw::detail {

namespace {

// Strings this long go to the log from where they are (one more piece of the write) rather
// than copied into the record's buffer.
constexpr std::size_t kSpliceBytes = 256;

// What a log record holds.
struct StreamLogRecord {};

// A log record starts with the stream position after its batch: offset and line, u64 each.
constexpr std::size_t kPositionBytes = 16;

// The stream position a log record saved, after its batch.
StreamPosition stream_after(const Bytes& record) {
  BinaryReader r(record);
  StreamPosition after;
  after.offset = r.read_fixed<std::uint64_t>();
  after.line = r.read_fixed<std::uint64_t>();
  return after;
}

}  // namespace

StreamLog::StreamLog(std::string dir, unsigned kept)
    : dir_(std::move(dir)), kept_(std::max(1u, kept)) {}

StreamLog::~StreamLog() = default;

void StreamLog::restore(std::uint64_t position, StreamPosition stream) {
  restored_ = position;
  position_ = position;
  stream_ = stream;
}

void StreamLog::open() {
  if (writer_) return;
  writer_ = std::make_unique<WalWriter>(dir_);
  if (!restored_) {
    writer_->clear();  // an earlier run's batches: this one starts afresh
    position_ = writer_->end();
    return;
  }
  replay_.emplace(dir_, *restored_, writer_->end());
}

StreamPosition StreamLog::resume_at() {
  open();
  if (!restored_) return stream_;  // a fresh log: the stream from its start
  const Bytes& last = writer_->last_record_at_open();
  const StreamPosition logged = last.empty() ? StreamPosition{} : stream_after(last);
  // A log whose batches were all before the checkpoint (and removed since): the checkpoint's.
  return logged.offset >= stream_.offset ? logged : stream_;
}

bool StreamLog::replay(BatchItems<Str>& out) {
  open();
  if (!replay_) return false;
  const std::uint64_t at = replay_->position();
  std::optional<Bytes> record = replay_->next();
  if (!record) {
    replay_.reset();
    return false;
  }
  try {
    stream_ = stream_after(*record);
    const Bytes batch =
        record->slice(kPositionBytes, record->size());  // the reader keeps a reference
    BinaryReader r(batch);
    const std::size_t n = r.read_length<StreamLogRecord>(1);
    for (std::size_t k = 0; k < n; ++k) r.read(out.emplace_back());
    if (r.remaining() != 0) r.fail<StreamLogRecord>("bytes left over after the batch");
  } catch (const DecodeError& e) {
    throw std::runtime_error(
        fmt::format("write-ahead log {}: the record at position {}: {}", dir_, at, e.what()));
  }
  position_ = replay_->position();
  return true;
}

void StreamLog::append(std::span<const Str> items, StreamPosition after) {
  open();
  scratch_.clear();
  splices_.clear();
  BinaryWriter w(scratch_, splices_, kSpliceBytes);
  w.write_fixed(after.offset);
  w.write_fixed(after.line);
  w.write_varint(items.size());
  for (const Str& s : items) w.write(s);
  std::vector<std::span<const std::byte>>& pieces = pieces_;
  pieces.clear();
  const std::span<const std::byte> own(scratch_.data(), scratch_.size());
  std::size_t at = 0;
  for (const Splice& splice : splices_) {
    pieces.push_back(own.subspan(at, splice.at - at));
    pieces.push_back(splice.bytes.span());
    at = splice.at;
  }
  pieces.push_back(own.subspan(at));
  (void)writer_->append(pieces);
  writer_->commit();
  position_ = writer_->end();
  stream_ = after;
}

std::pair<std::uint64_t, StreamPosition> StreamLog::snapshot(std::uint64_t checkpoint) {
  open();
  taken_[checkpoint] = position_;
  return {position_, stream_};
}

void StreamLog::completed(std::uint64_t id) {
  std::uint64_t position = 0;
  if (auto it = taken_.find(id); it != taken_.end()) {
    position = it->second;
    taken_.erase(taken_.upper_bound(0), std::next(it));  // this one and any that failed
  } else if (auto final = taken_.find(0); final != taken_.end()) {
    position = final->second;  // the final checkpoint, of a finished source
    taken_.erase(final);
  } else {
    return;
  }
  completed_.push_back(position);
  while (completed_.size() > kept_) completed_.pop_front();
  // Only once every kept checkpoint is this run's: a restart may pick any of them.
  if (completed_.size() == kept_ && writer_) writer_->truncate_before(completed_.front());
}

StreamPosition StreamLog::logged_stream_end(const std::string& dir) {
  const std::vector<std::filesystem::path> segments = wal_segments(dir);
  for (auto s = segments.rbegin(); s != segments.rend(); ++s) {
    const Bytes file = map_file(s->string());
    const WalSegmentView view = parse_wal_segment(file.span(), *s, s == segments.rbegin());
    if (view.records.empty()) continue;
    const auto [offset, length] = view.records.back();
    return stream_after(file.slice(offset, offset + length));
  }
  return {};
}

std::uint64_t StreamLog::torn_bytes_at_end(const std::string& dir) {
  const std::vector<std::filesystem::path> segments = wal_segments(dir);
  if (segments.empty()) return 0;
  const Bytes file = map_file(segments.back().string());
  return parse_wal_segment(file.span(), segments.back(), true).torn_bytes;
}

}  // namespace sw::detail
