// Redis Streams: read_redis_stream(uri) is a source of one field of a stream's entries, read
// with a consumer group; write_redis_stream(uri) a sink that appends entries with XADD.
//
// URI: redis://[[user]:password@]host[:port]/STREAM[?parameters]
//   group=G     the consumer group (created at the stream's start, with the stream, if new;
//               default "streamweave")
//   consumer=C  instance i reads as consumer "C-i" (default: the group's name)
//   field=F     the entry field that holds the item (default "data")
//   drain=1     end once the group has nothing new (a bounded read); default: read forever
//   malformed=skip  an entry without the field is skipped, counted in errors_skipped and
//               named in the report (and acknowledged with the rest); default: it fails the node
//
// Source guarantees. Without checkpoints, an entry is acknowledged (XACK) at the source's
// next read after it is emitted; a crash loses what was emitted and not yet processed, and
// the next run emits again what was not yet acknowledged (a batch per instance at most). With
// checkpoints, an entry is acknowledged only once the checkpoint that covers it completes, and a
// restored run first reads its consumers' pending entries again: those the checkpoint covered are
// acknowledged, the others emitted again, so the state sees each entry exactly once. A restart on
// another parallelism takes over the consumers of instances that are gone. A server that is down at
// start fails the node at once, naming the URI; one that goes away later is retried with backoff
// for `RedisSourceOptions::retry_for`, then the node fails with the cause.
//
// Sink guarantees. Without checkpoints each batch is one pipeline of XADDs (IDs given by the
// server). With checkpoints, entries are held until the checkpoint after them completes, then
// written in chunks, each by a script that also records the chunk in a progress hash
// (STREAM:streamweave-progress) in the same atomic step: a restored run writes what a crash
// cut short and skips what was written, so the stream has each entry once.
// Options: NodeOptions; RedisSourceOptions.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "streamweave/engine/instance.hpp"
#include "streamweave/operators/io/writer_sink.hpp"
#include "streamweave/operators/write_lines.hpp"
#include "streamweave/serde/str.hpp"

namespace sw {

struct RedisSourceOptions {
  // A server lost mid-run is reconnected with backoff (50 ms doubling to 1 s) for this long.
  std::chrono::milliseconds retry_for{30'000};
  // An empty read is tried again after 1 ms, doubling up to this while the stream stays quiet.
  std::chrono::milliseconds max_poll_interval{20};
  // Each command's timeout, and the connect timeout.
  std::chrono::milliseconds timeout{2'000};
};

namespace detail {
[[nodiscard]] std::unique_ptr<OperatorInstance> make_redis_source(
    const InstanceContext& ctx, const std::string& uri, const RedisSourceOptions& options);
// Throws std::invalid_argument naming what is wrong with a redis:// stream URI.
void check_redis_stream_uri(const std::string& uri);

// The sink's Redis half, whatever its item type: entries added, held or written by
// checkpoint, as the file above says. The sink's task.
class RedisStreamWriter {
 public:
  RedisStreamWriter(const InstanceContext& ctx, const std::string& uri);
  ~RedisStreamWriter();
  void open();                       // connects
  void add(std::string_view value);  // one entry
  void end_of_batch();               // without checkpoints: writes the batch's entries
  void finish();
  void snapshot(StateWriter& state);
  void restore(StateReader& state);
  void on_checkpoint_complete(std::uint64_t id);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

template <TextLike T>
using RedisStreamSink = TextWriterSink<T, RedisStreamWriter>;
}  // namespace detail

struct RedisStreamSourceSpec {
  using value_type = Str;
  static constexpr const char* op_name = "read_redis_stream";
  std::string uri;
  RedisSourceOptions options;
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return detail::make_redis_source(ctx, uri, options);
  }
};

struct RedisStreamSinkSpec {
  static constexpr const char* op_name = "write_redis_stream";
  std::string uri;
  template <TextLike T>
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<detail::RedisStreamSink<T>>(ctx, uri);
  }
};

// Throws std::invalid_argument at once for a malformed URI; the server is reached when the
// graph runs.
[[nodiscard]] inline RedisStreamSourceSpec read_redis_stream(std::string uri,
                                                             RedisSourceOptions options = {}) {
  detail::check_redis_stream_uri(uri);
  return {std::move(uri), options};
}
[[nodiscard]] inline RedisStreamSinkSpec write_redis_stream(std::string uri) {
  detail::check_redis_stream_uri(uri);
  return {std::move(uri)};
}

}  // namespace sw
