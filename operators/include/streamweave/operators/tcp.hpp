// TCP: read_tcp(uri) is a source of the frames clients send to a port it listens on;
// write_tcp(uri) a sink that connects to a server and sends each item as a frame.
//
// URI: tcp://host:port[?parameters]
//   framing=lines   a frame is a line: its '\n' (and a '\r' before it) is not part of it; a
//                   last line without '\n' when a client closes counts too (the default)
//   framing=length  a frame is a 4-byte big-endian length, then that many bytes
//   max_frame=N     the longest frame, in bytes (default TcpOptions::max_frame, 16 MiB); a
//                   longer one fails the node naming the client and the byte, or with
//                   malformed=skip is skipped whole, counted in errors_skipped and named in
//                   the report
//   connections=N   source: end once N clients have connected and all of them closed (a bounded
//                   read); default: listen until the run is stopped
//
// Source. Every instance of the node in a process accepts from one listening socket
// (SO_REUSEPORT: several processes on one host share the port as well; `connections` counts per
// process), and reads the clients it accepted into pooled 64 KiB buffers: a frame is a slice of
// the buffer it arrived in, not copied. A client that closes in the middle of a frame loses that
// frame, counted in errors_skipped and named in the report; the others go on.
// A port that cannot be listened on fails the run at its start, naming the URI.
//
// Source guarantees. TCP cannot be read again, so with checkpoints each batch goes to the
// instance's write-ahead log (one fdatasync per batch) before it enters the graph, and a
// restored run replays what came after the checkpoint before it accepts again: the state sees
// each frame that was logged exactly once, also on another parallelism. What the kernel had
// received but not yet logged when the process died is lost: a client cannot know which of its
// frames were logged. Without checkpoints, a crash loses what was in flight.
//
// Sink. Each instance connects when the run starts (a server that is not there fails the run,
// naming the URI), and sends a batch's frames with one send() once 64 KiB are buffered or its
// input runs dry. A connection lost mid-run is reconnected with backoff (50 ms doubling to 1 s)
// for TcpOptions::retry_for, and the buffer whose send() failed is sent again whole. TCP tells a
// sender nothing of what the peer read, so what a dropped connection had in flight is lost, and
// part of the buffer may come twice: no delivery guarantee across a lost connection. With
// checkpoints, a checkpoint's barrier sends what came before it, and a restored run sends again
// what came after the checkpoint.
// Options: NodeOptions; TcpOptions.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "streamweave/engine/instance.hpp"
#include "streamweave/operators/io/writer_sink.hpp"
#include "streamweave/operators/write_lines.hpp"
#include "streamweave/serde/str.hpp"

namespace sw {

// The longest frame there can be: a length frame's length is 32 bits.
inline constexpr std::size_t kMaxTcpFrame = 0xffffffffU;

struct TcpOptions {
  // Sink: a connection lost mid-run is reconnected with backoff for this long.
  std::chrono::milliseconds retry_for{30'000};
  // Source: with nothing to read, it looks again after 50 µs, doubling up to this.
  std::chrono::microseconds max_poll_interval{2'000};
  // Sink: the connect timeout.
  std::chrono::milliseconds timeout{5'000};
  // Source and sink: the longest frame, in bytes (1 to kMaxTcpFrame), where the URI sets no
  // max_frame; the URI's wins.
  std::size_t max_frame = std::size_t{16} << 20;
};

namespace detail {
[[nodiscard]] std::unique_ptr<OperatorInstance> make_tcp_source(const InstanceContext& ctx,
                                                                const std::string& uri,
                                                                const TcpOptions& options);
// Throws std::invalid_argument naming what is wrong with a tcp:// URI (`source`: the source's
// parameters are allowed too), or with `max_frame` where the URI sets none.
void check_tcp_uri(const std::string& uri, bool source,
                   std::size_t max_frame = TcpOptions{}.max_frame);

// The sink's socket half, whatever its item type. The sink's task.
class TcpWriter {
 public:
  TcpWriter(const InstanceContext& ctx, const std::string& uri, const TcpOptions& options);
  ~TcpWriter();
  void open();                       // connects
  void add(std::string_view frame);  // one frame
  void end_of_batch();               // sends once 64 KiB are buffered
  void on_idle();                    // sends what is buffered
  void finish();                     // sends the rest, then closes
  void snapshot(StateWriter& state);
  void restore(StateReader& state);
  void on_checkpoint_complete(std::uint64_t id);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

template <TextLike T>
using TcpSink = TextWriterSink<T, TcpWriter>;
}  // namespace detail

struct TcpSourceSpec {
  using value_type = Str;
  static constexpr const char* op_name = "read_tcp";
  std::string uri;
  TcpOptions options;
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return detail::make_tcp_source(ctx, uri, options);
  }
};

struct TcpSinkSpec {
  static constexpr const char* op_name = "write_tcp";
  std::string uri;
  TcpOptions options;
  template <TextLike T>
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<detail::TcpSink<T>>(ctx, uri, options);
  }
};

// Both throw std::invalid_argument at once for a malformed URI; the port is listened on, or
// the server reached, when the graph runs.
[[nodiscard]] inline TcpSourceSpec read_tcp(std::string uri, TcpOptions options = {}) {
  detail::check_tcp_uri(uri, true, options.max_frame);
  return {std::move(uri), options};
}
[[nodiscard]] inline TcpSinkSpec write_tcp(std::string uri, TcpOptions options = {}) {
  detail::check_tcp_uri(uri, false, options.max_frame);
  return {std::move(uri), options};
}

}  // namespace sw
