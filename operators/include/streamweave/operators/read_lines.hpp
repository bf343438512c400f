// read_lines(path): a source of the lines of a text file, as Str slices of the file's memory
// mapping — no line is copied. Parallel (and distributed) instances split the file by byte
// range: each line is read exactly once, by the instance whose range holds its first byte.
// "-" reads standard input, and a pipe or FIFO is read as a stream (by instance 0; the
// others end at once). A line excludes its '\n' and a '\r' before it. With checkpoints, a
// file's position is saved, and a stream goes through a write-ahead log (io/stream_log.hpp).
// A missing or unreadable file fails the node (policy stop) with the path and the reason.
// A line longer than RecordLimits::max_record_bytes (64 MiB by default) fails it too, or is
// skipped, counted and named in the report (RecordLimits::skip_longer); a stream is read in
// time linear in its size however long its lines are.
// where_in_file(line.bytes()) gives "file:line" for a line of a file, or of a stream.
// Options: NodeOptions; RecordLimits.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "streamweave/engine/instance.hpp"
#include "streamweave/operators/io/record_reader.hpp"
#include "streamweave/operators/io/stream_log.hpp"
#include "streamweave/serde/str.hpp"

namespace sw {

namespace detail {

// The read node of a read-and-parse pair (read_json_lines, read_csv): the parse node's
// parallelism and batch size, so that the two fuse; the error policy is the parse node's.
[[nodiscard]] inline NodeOptions read_node_options(const NodeOptions& parse) {
  NodeOptions read;
  read.parallelism = parse.parallelism;
  read.batch_size = parse.batch_size;
  return read;
}

// The read node's limits: a too-long record is skipped when the parse node skips bad ones.
[[nodiscard]] inline RecordLimits read_limits(RecordLimits limits, const NodeOptions& parse) {
  limits.skip_longer = limits.skip_longer || parse.errors.kind() != ErrorPolicy::Kind::stop;
  return limits;
}

// A source of the records of a RecordReader, a pooled batch at a time.
class RecordSource final : public SourceBase<Str> {
 public:
  RecordSource(const InstanceContext& ctx, const std::string& path, RecordFormat format,
               bool skip_first, RecordLimits limits)
      : SourceBase<Str>(ctx),
        reader_(path, format, skip_first, ctx.instance, ctx.parallelism, limits),
        rewindable_(reader_.rewindable()) {
    // A stream is read by instance 0: with checkpoints, through a write-ahead log.
    if (!rewindable_ && ctx.instance == 0 && !ctx.log_dir.empty()) {
      log_ = std::make_unique<StreamLog>(ctx.log_dir, ctx.checkpoints_kept);
    }
  }

  // A file's position is the byte ranges left (rewindable_ is asked once, at build time:
  // checkpointing() is asked at every barrier); a stream's, the position in its log.
  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return rewindable_ || log_ || this->ctx_.instance != 0 ? Checkpointing::saves_state
                                                           : Checkpointing::unsupported;
  }
  void snapshot(StateWriter& state) override {
    this->guarded(position_, [&] {
      if (rewindable_) {
        state.value(reader_.file_size());
        state.value(reader_.left());
      } else if (log_) {
        const auto [at, stream] = log_->snapshot(state.checkpoint());
        state.value(at);
        state.value(stream.offset);
        state.value(stream.line);
      }
    });
  }
  void restore(StateReader& state) override {
    if (!rewindable_) return restore_stream(state);
    std::uint64_t size = 0;
    auto ranges = restored_ranges(state, this->ctx_.instance, this->ctx_.parallelism,
                                  [&size](BinaryReader& values) {
                                    values.read(size);
                                    return values.read<std::vector<IndexRange>>();
                                  });
    reader_.resume(std::move(ranges), size);
  }
  void on_checkpoint_complete(std::uint64_t id) override {
    if (log_) log_->completed(id);
  }

 protected:
  bool on_produce(std::size_t max_items) override {
    BatchPtr<Str> batch = this->out_pool().acquire(max_items);
    bool more = true;
    if (!log_ || !this->guarded(position_, [&] { return log_->replay(batch->items); })) {
      more = this->guarded(position_, [&] { return reader_.read(batch->items, max_items); });
      for (std::string& skipped : reader_.take_skipped()) {
        skip_error(this->ctx_, this->metrics_, position_, std::move(skipped));
      }
      // In the log before it enters the graph.
      if (log_ && !batch->items.empty()) this->guarded(position_, [&] { log(batch->items); });
    }
    position_ += batch->size();
    if (!batch->items.empty()) this->emit_batch(std::move(batch));
    return more;
  }

 private:
  // Logs what was read, but a last record cut short by the stream's end: a pipe whose writer
  // died (mpirun closes rank 0's stdin as it ends a job that lost a rank) ends mid-line, and
  // a restart replaying that piece would then read the rest of the line as a line of its
  // own. Left out, the restart is given the stream from before it and reads the line whole.
  // (Had a checkpoint completed after it entered the graph — the stream really ended there —
  // a restart from that checkpoint given the stream from before it would read it twice.)
  void log(const BatchItems<Str>& items) {
    std::span<const Str> logged(items.data(), items.size());
    if (const std::optional<StreamPosition> before = reader_.stream_before_unterminated()) {
      if (logged.size() > 1) log_->append(logged.first(logged.size() - 1), *before);
      return;
    }
    log_->append(logged, reader_.stream_consumed());
  }

  // The log position of instance 0 (the one that read the stream), in any parallelism.
  void restore_stream(StateReader& state) {
    if (!log_) return;
    for (const Bytes& saved : state.all_values()) {
      if (saved.empty()) continue;
      BinaryReader values(saved);
      const auto at = values.read<std::uint64_t>();
      StreamPosition stream;
      values.read(stream.offset);
      values.read(stream.line);
      log_->restore(at, stream);
      reader_.stream_starts_at(log_->resume_at());
    }
  }

  RecordReader reader_;
  bool rewindable_;
  std::unique_ptr<StreamLog> log_;
  std::uint64_t position_ = 0;
};

}  // namespace detail

struct ReadLinesSpec {
  using value_type = Str;
  static constexpr const char* op_name = "read_lines";
  std::string path;
  RecordLimits limits;

  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<detail::RecordSource>(ctx, path, detail::RecordFormat::lines, false,
                                                  limits);
  }
};

[[nodiscard]] inline ReadLinesSpec read_lines(std::string path, RecordLimits limits = {}) {
  return {std::move(path), limits};
}

}  // namespace sw
