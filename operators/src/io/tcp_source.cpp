#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <vector>

#include "streamweave/operators/io/stream_log.hpp"
#include "streamweave/operators/tcp.hpp"
#include "streamweave/serde/binary.hpp"
#include "tcp_uri.hpp"

namespace sw {

namespace {
using detail::Framing;
using detail::StreamLog;
using detail::StreamPosition;
using detail::TcpUri;

constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::size_t kLengthBytes = 4;
// Bytes read from one client before the next is served.
constexpr std::size_t kReadTurnBytes = 256 * 1024;
constexpr std::chrono::microseconds kFirstPoll{50};

std::string errno_text(int error) {
  return std::system_category().message(error);
}

// A file descriptor, closed with its owner.
class Fd {
 public:
  Fd() noexcept = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_ = -1;
};

// The listening socket the instances of one node in this process accept from, and how many
// clients they accepted between them.
struct Listener {
  Fd fd;
  std::atomic<std::uint64_t> accepted{0};
};

// The listener of node `node` on `uri`: the one its other instances in this process opened, or
// a new one (bound with SO_REUSEPORT, so other processes may listen on the port too).
std::shared_ptr<Listener> shared_listener(const std::string& node, const TcpUri& uri) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<Listener>> listeners;
  const std::string key = node + "|" + uri.address.uri();
  const std::lock_guard lock(mutex);
  if (std::shared_ptr<Listener> open = listeners[key].lock()) return open;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(uri.address.port);
  if (const int rc = ::getaddrinfo(uri.address.host.c_str(), port.c_str(), &hints, &found);
      rc != 0) {
    throw std::runtime_error("cannot listen on " + uri.address.uri() + ": " + gai_strerror(rc));
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
  auto listener = std::make_shared<Listener>();
  listener->fd = Fd(::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  const int on = 1;
  if (listener->fd.get() < 0 ||
      ::setsockopt(listener->fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      ::setsockopt(listener->fd.get(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0 ||
      ::bind(listener->fd.get(), found->ai_addr, found->ai_addrlen) != 0 ||
      ::listen(listener->fd.get(), SOMAXCONN) != 0) {
    throw std::runtime_error("cannot listen on " + uri.address.uri() + ": " + errno_text(errno));
  }
  listeners[key] = listener;
  return listener;
}

// "host:port" of a connected peer.
std::string peer_name(const sockaddr_storage& address) {
  std::array<char, INET6_ADDRSTRLEN> host{};
  std::uint16_t port = 0;
  if (address.ss_family == AF_INET6) {
    const auto& a6 = reinterpret_cast<const sockaddr_in6&>(address);
    ::inet_ntop(AF_INET6, &a6.sin6_addr, host.data(), host.size());
    port = ntohs(a6.sin6_port);
    return fmt::format("[{}]:{}", host.data(), port);
  }
  const auto& a4 = reinterpret_cast<const sockaddr_in&>(address);
  ::inet_ntop(AF_INET, &a4.sin_addr, host.data(), host.size());
  port = ntohs(a4.sin_port);
  return fmt::format("{}:{}", host.data(), port);
}

// One client: its socket, and the pooled buffer its bytes arrive in. Frames are slices of
// the buffer; the buffer is only ever appended to, so they stay valid wherever they go.
struct Client {
  Fd fd;
  std::string peer;
  boost::intrusive_ptr<SharedBuffer> buffer;
  std::size_t begin = 0;         // the first byte of the frame not yet complete
  std::size_t scanned = 0;       // lines: where the search for '\n' goes on
  std::size_t end = 0;           // after the last byte received
  std::uint64_t received = 0;    // bytes received before `begin`, for messages
  std::uint64_t discarding = 0;  // a skipped oversized frame's bytes still to come (length)
  bool discarding_line = false;  // a skipped oversized line: up to its '\n'

  [[nodiscard]] const char* data() const noexcept {
    return reinterpret_cast<const char*>(buffer->data());
  }
};

// The log of one instance in the checkpoint directory: `dir` is its own ("...-i<own>");
// that of instance k is its sibling "...-i<k>".
std::string sibling_log(const std::string& dir, unsigned own, unsigned k) {
  const std::string suffix = "-i" + std::to_string(own);
  return dir.substr(0, dir.size() - suffix.size()) + "-i" + std::to_string(k);
}

class TcpSource final : public SourceBase<Str> {
 public:
  TcpSource(const InstanceContext& ctx, TcpUri uri, const TcpOptions& options)
      : SourceBase<Str>(ctx),
        uri_(std::move(uri)),
        options_(options),
        pool_(&ctx.pools->buffer_pool()),
        poll_(kFirstPoll) {}

  void open() override {
    this->guarded(position_, [this] {
      listener_ = shared_listener(*this->ctx_.node, uri_);
      epoll_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
      if (epoll_.get() < 0) throw std::runtime_error("epoll_create1: " + errno_text(errno));
      watch(listener_->fd.get(), kListenerTag);
      listening_ = true;
    });
  }

  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return Checkpointing::saves_state;
  }
  // For each log this instance holds (its own, and those of instances a restart on fewer
  // left to it): the instance that wrote it, and the position after the last batch that
  // entered the graph.
  void snapshot(StateWriter& state) override {
    this->guarded(position_, [&] {
      state.value(static_cast<std::uint64_t>(logs_.size()));
      for (HeldLog& held : logs_) {
        const auto [at, stream] = held.log->snapshot(state.checkpoint());
        state.value(static_cast<std::uint64_t>(held.writer));
        state.value(at);
        state.value(stream.offset);
        state.value(stream.line);
      }
    });
  }
  void restore(StateReader& state) override {
    if (logs_.empty()) return;  // no checkpoint directory
    const std::vector<Bytes> saved =
        state.same_layout() ? std::vector<Bytes>{state.values()} : state.all_values();
    for (const Bytes& values : saved) {
      if (values.empty()) continue;
      BinaryReader r(values);
      const auto n = r.read<std::uint64_t>();
      for (std::uint64_t k = 0; k < n; ++k) {
        const auto writer = static_cast<unsigned>(r.read<std::uint64_t>());
        const auto at = r.read<std::uint64_t>();
        StreamPosition stream;
        r.read(stream.offset);
        r.read(stream.line);
        if (writer % this->ctx_.parallelism != this->ctx_.instance) continue;
        held_log(writer).restore(at, stream);
      }
    }
  }
  void on_checkpoint_complete(std::uint64_t id) override {
    if (!logs_.empty()) logs_.front().log->completed(id);
  }
  void close() override {
    clients_.clear();
    listener_.reset();
    SourceBase<Str>::close();
  }

  // With a checkpoint directory, the instance's own log, first.
  void start_log() {
    if (this->ctx_.log_dir.empty()) return;
    logs_.push_back({this->ctx_.instance,
                     std::make_unique<StreamLog>(this->ctx_.log_dir, this->ctx_.checkpoints_kept)});
  }

 protected:
  bool on_produce(std::size_t max_items) override {
    BatchPtr<Str> batch = this->out_pool().acquire(max_items);
    if (replay(batch->items)) {
      position_ += batch->size();
      this->emit_batch(std::move(batch));
      return true;
    }
    this->guarded_at(position_, [&] { poll(batch->items, std::max<std::size_t>(max_items, 1)); });
    if (!batch->items.empty()) {
      if (!logs_.empty()) {
        this->guarded(position_, [&] {
          logs_.front().log->append(std::span<const Str>(batch->items.data(), batch->size()),
                                    {bytes_, frames_});
        });
      }
      position_ += batch->size();
      this->emit_batch(std::move(batch));
      poll_ = kFirstPoll;
      return true;
    }
    if (finished()) return false;
    this->nothing_until(Clock::now() + poll_);
    poll_ = std::min(poll_ * 2, options_.max_poll_interval);
    return true;
  }

 private:
  static constexpr std::uint64_t kListenerTag = ~std::uint64_t{0};

  struct HeldLog {
    unsigned writer;  // the instance whose log it is
    std::unique_ptr<StreamLog> log;
    bool replayed = false;
  };

  StreamLog& held_log(unsigned writer) {
    for (HeldLog& held : logs_) {
      if (held.writer == writer) return *held.log;
    }
    logs_.push_back({writer, std::make_unique<StreamLog>(
                                 sibling_log(this->ctx_.log_dir, this->ctx_.instance, writer),
                                 this->ctx_.checkpoints_kept)});
    return *logs_.back().log;
  }

  // The next batch of the logs a restored run replays, own log first; false once all are.
  bool replay(BatchItems<Str>& out) {
    for (HeldLog& held : logs_) {
      if (held.replayed) continue;
      if (this->guarded(position_, [&] { return held.log->replay(out); })) return true;
      held.replayed = true;
      if (held.writer != this->ctx_.instance) continue;
      (void)held.log->resume_at();  // opens it for appending after what it replayed
    }
    return false;
  }

  // Bounded (connections=N): every client came and went.
  [[nodiscard]] bool finished() const noexcept {
    return uri_.connections != 0 && listener_ &&
           listener_->accepted.load(std::memory_order_relaxed) >= uri_.connections &&
           clients_.empty();
  }

  void watch(int fd, std::uint64_t tag) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = tag;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
      throw std::runtime_error("epoll_ctl: " + errno_text(errno));
    }
  }

  // Reads what the clients sent into `out`, up to `max_items` frames.
  void poll(BatchItems<Str>& out, std::size_t max_items) {
    std::array<epoll_event, 64> events{};
    const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), 0);
    if (n < 0 && errno != EINTR) throw std::runtime_error("epoll_wait: " + errno_text(errno));
    for (int e = 0; e < n && out.size() < max_items; ++e) {
      const std::uint64_t tag = events[static_cast<std::size_t>(e)].data.u64;
      if (tag == kListenerTag) {
        accept_clients();
        continue;
      }
      auto it = clients_.find(tag);
      if (it != clients_.end() && !read_client(it->second, out, max_items)) clients_.erase(it);
    }
  }

  void accept_clients() {
    while (listening_) {
      if (uri_.connections != 0 && listener_->accepted.load() >= uri_.connections) {
        stop_listening();  // another instance took the last one
        return;
      }
      sockaddr_storage address{};
      socklen_t length = sizeof address;
      const int fd = ::accept4(listener_->fd.get(), reinterpret_cast<sockaddr*>(&address), &length,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) {
          return;
        }
        throw std::runtime_error(uri_.address.uri() + ": accept: " + errno_text(errno));
      }
      const std::uint64_t tag = next_tag_++;
      Client& client = clients_[tag];
      client.fd = Fd(fd);
      client.peer = peer_name(address);
      watch(fd, tag);
      const std::uint64_t accepted = listener_->accepted.fetch_add(1) + 1;
      if (uri_.connections != 0 && accepted >= uri_.connections) stop_listening();
    }
  }

  // The last client a bounded source takes has come: the others are refused.
  void stop_listening() {
    (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listener_->fd.get(), nullptr);
    listening_ = false;
  }

  // Reads from `c` until it has nothing more now, the batch is full or its turn is over;
  // false once it closed.
  bool read_client(Client& c, BatchItems<Str>& out, std::size_t max_items) {
    for (std::size_t turn = 0; turn < kReadTurnBytes && out.size() < max_items;) {
      make_room(c);
      const ssize_t got =
          ::recv(c.fd.get(), c.buffer->mutable_data() + c.end, c.buffer->capacity() - c.end, 0);
      if (got > 0) {
        c.end += static_cast<std::size_t>(got);
        bytes_ += static_cast<std::uint64_t>(got);
        turn += static_cast<std::size_t>(got);
        frames(c, out);
        continue;
      }
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (got < 0 && errno == EINTR) continue;
      closed(c, out, got < 0 ? errno : 0);
      return false;
    }
    return true;
  }

  // A buffer with room after `end`: the current one, or a new one (large enough for the
  // frame in progress) that the frame's bytes so far move to.
  void make_room(Client& c) {
    const std::size_t pending = c.end - c.begin;
    std::size_t needed = pending + 1;
    if (uri_.framing == Framing::length && pending >= kLengthBytes && c.discarding == 0) {
      needed = std::max(needed, kLengthBytes + frame_length(c));
    }
    if (c.buffer && c.buffer->capacity() - c.begin >= needed && c.end < c.buffer->capacity()) {
      return;
    }
    const std::size_t capacity = std::max(kChunkBytes, std::max(needed, pending * 2));
    boost::intrusive_ptr<SharedBuffer> fresh(pool_->acquire(capacity));
    if (pending > 0) std::memcpy(fresh->mutable_data(), c.buffer->data() + c.begin, pending);
    c.buffer = std::move(fresh);
    c.received += c.begin;
    c.scanned -= c.begin;
    c.end = pending;
    c.begin = 0;
  }

  [[nodiscard]] static std::size_t frame_length(const Client& c) {
    const auto* p = reinterpret_cast<const unsigned char*>(c.data() + c.begin);
    return (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) |
           std::size_t{p[3]};
  }

  void frames(Client& c, BatchItems<Str>& out) {
    if (uri_.framing == Framing::lines) {
      lines(c, out);
    } else {
      length_prefixed(c, out);
    }
  }

  void emit_frame(Client& c, std::size_t from, std::size_t size, BatchItems<Str>& out) {
    out.emplace_back(Bytes(c.buffer, c.buffer->data() + from, size));
    ++frames_;
  }

  void lines(Client& c, BatchItems<Str>& out) {
    for (;;) {
      const void* found = std::memchr(c.data() + c.scanned, '\n', c.end - c.scanned);
      if (found == nullptr) break;
      const std::size_t nl = static_cast<std::size_t>(static_cast<const char*>(found) - c.data());
      std::size_t size = nl - c.begin;
      if (c.discarding_line) {
        c.discarding_line = false;
      } else if (size > uri_.max_frame) {
        oversized(c, size);
      } else {
        if (size > 0 && c.data()[nl - 1] == '\r') --size;
        emit_frame(c, c.begin, size, out);
      }
      c.begin = c.scanned = nl + 1;
    }
    c.scanned = c.end;
    if (!c.discarding_line && c.end - c.begin > uri_.max_frame) {
      oversized(c, c.end - c.begin);
      c.discarding_line = true;
    }
    if (c.discarding_line) {
      c.received += c.end - c.begin;
      c.begin = c.scanned = c.end;
    }
  }

  void length_prefixed(Client& c, BatchItems<Str>& out) {
    for (;;) {
      if (c.discarding > 0) {
        const std::size_t drop = std::min<std::uint64_t>(c.discarding, c.end - c.begin);
        c.discarding -= drop;
        c.begin += drop;
        if (c.discarding > 0) break;
      }
      if (c.end - c.begin < kLengthBytes) break;
      const std::size_t size = frame_length(c);
      if (size > uri_.max_frame) {
        oversized(c, size);
        c.begin += kLengthBytes;
        c.discarding = size;
        continue;
      }
      if (c.end - c.begin < kLengthBytes + size) break;
      emit_frame(c, c.begin + kLengthBytes, size, out);
      c.begin += kLengthBytes + size;
    }
    c.scanned = c.begin;
  }

  [[nodiscard]] std::string where(const Client& c) const {
    return uri_.address.uri() + ", client " + c.peer + ", byte " +
           std::to_string(c.received + c.begin);
  }

  void oversized(const Client& c, std::size_t size) {
    std::string message = where(c) + ": a frame of " +
                          (uri_.framing == Framing::lines ? "over " : "") + std::to_string(size) +
                          " bytes, longer than max_frame=" + std::to_string(uri_.max_frame);
    if (!uri_.skip_malformed) throw std::runtime_error(message + " (malformed=skip skips it)");
    detail::skip_error(this->ctx_, this->metrics_, position_, std::move(message));
  }

  // `c` closed (`error`: why, 0 for an orderly close): a last line without '\n' is a frame;
  // any other bytes after the last frame were one cut short, counted and named.
  void closed(Client& c, BatchItems<Str>& out, int error) {
    const std::size_t pending = c.buffer ? c.end - c.begin : 0;
    if (pending > 0 && error == 0 && uri_.framing == Framing::lines && !c.discarding_line) {
      emit_frame(c, c.begin, pending, out);
    } else if (pending > 0 || c.discarding > 0) {
      detail::skip_error(
          this->ctx_, this->metrics_, position_ + out.size(),
          where(c) + ": the client " +
              (error == 0 ? std::string("closed") : "was lost (" + errno_text(error) + ")") +
              " in the middle of a frame; its " + std::to_string(pending) + " bytes are dropped");
    }
  }

  TcpUri uri_;
  TcpOptions options_;
  BufferPool* pool_;
  std::shared_ptr<Listener> listener_;
  bool listening_ = false;
  Fd epoll_;
  std::map<std::uint64_t, Client> clients_;
  std::uint64_t next_tag_ = 0;
  std::vector<HeldLog> logs_;
  std::uint64_t position_ = 0;  // frames emitted
  std::uint64_t bytes_ = 0;     // received, for the log's stream position
  std::uint64_t frames_ = 0;
  std::chrono::microseconds poll_;
};

}  // namespace

namespace detail {

std::unique_ptr<OperatorInstance> make_tcp_source(const InstanceContext& ctx,
                                                  const std::string& uri,
                                                  const TcpOptions& options) {
  auto source =
      std::make_unique<TcpSource>(ctx, parse_tcp_uri(uri, true, options.max_frame), options);
  source->start_log();
  return source;
}

void check_tcp_uri(const std::string& uri, bool source, std::size_t max_frame) {
  (void)parse_tcp_uri(uri, source, max_frame);
}

}  // namespace detail
}  // namespace sw
