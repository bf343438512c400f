#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "retry_backoff.hpp"
#include "streamweave/operators/tcp.hpp"
#include "tcp_uri.hpp"

namespace sw::detail {

namespace {

constexpr std::size_t kSendBytes = 64 * 1024;

// A connection failed: worth connecting again.
struct TcpLost : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string errno_text(int error) {
  return std::system_category().message(error);
}

// A socket connected to `uri` within `timeout`, or TcpLost naming the URI and why.
int connect_to(const TcpUri& uri, std::chrono::milliseconds timeout) {
  const std::string what = "cannot connect to " + uri.address.uri() + ": ";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(uri.address.port);
  if (const int rc = ::getaddrinfo(uri.address.host.c_str(), port.c_str(), &hints, &found);
      rc != 0) {
    throw TcpLost(what + gai_strerror(rc));
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw TcpLost(what + errno_text(errno));
  int error = 0;
  if (::connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
    error = errno;
    if (error == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
      socklen_t length = sizeof error;
      error = ready == 0 ? ETIMEDOUT : 0;
      if (ready > 0) (void)::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    }
  }
  if (error != 0) {
    ::close(fd);
    throw TcpLost(what + errno_text(error));
  }
  // Blocking from here: the sink's task waits for the peer as it would for a disk.
  (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const int on = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return fd;
}

}  // namespace

struct TcpWriter::State {
  State(const InstanceContext& context, const std::string& text, const TcpOptions& opts)
      : uri(parse_tcp_uri(text, false, opts.max_frame)), ctx(context), options(opts) {}
  ~State() { disconnect(); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  TcpUri uri;
  InstanceContext ctx;
  TcpOptions options;
  int fd = -1;
  std::string buffer;  // frames not yet sent

  void disconnect() noexcept {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }

  void add(std::string_view frame) {
    if (uri.framing == Framing::lines) {
      if (frame.find('\n') != std::string_view::npos) {
        throw std::runtime_error(uri.address.uri() +
                                 ": an item with a '\\n' would arrive as two lines (framing=length "
                                 "sends any bytes)");
      }
      buffer.append(frame);
      buffer.push_back('\n');
      return;
    }
    if (frame.size() > uri.max_frame) {
      throw std::runtime_error(uri.address.uri() + ": a frame of " + std::to_string(frame.size()) +
                               " bytes, longer than max_frame=" + std::to_string(uri.max_frame));
    }
    const auto n = static_cast<std::uint32_t>(frame.size());
    const std::array<char, 4> length{static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                                     static_cast<char>(n >> 8), static_cast<char>(n)};
    buffer.append(length.data(), length.size());
    buffer.append(frame);
  }

  // Sends the buffer; a lost connection is made again with backoff and the buffer sent again
  // whole (what the peer had of it is not known: at least once).
  void send_all() {
    if (buffer.empty()) return;
    RetryBackoff backoff(options.retry_for);
    for (;;) {
      try {
        send_once();
        buffer.clear();
        return;
      } catch (const TcpLost& e) {
        disconnect();
        const std::optional<std::chrono::milliseconds> delay = backoff.next(Clock::now());
        if (!delay) throw std::runtime_error(e.what() + backoff.gave_up());
        std::this_thread::sleep_for(*delay);
      }
    }
  }

  void send_once() {
    if (fd < 0) fd = connect_to(uri, options.timeout);
    for (std::size_t sent = 0; sent < buffer.size();) {
      const ssize_t n = ::send(fd, buffer.data() + sent, buffer.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw TcpLost(uri.address.uri() + ": send: " + errno_text(errno));
      sent += static_cast<std::size_t>(n);
    }
  }
};

TcpWriter::TcpWriter(const InstanceContext& ctx, const std::string& uri, const TcpOptions& options)
    : state_(std::make_unique<State>(ctx, uri, options)) {}

TcpWriter::~TcpWriter() = default;

void TcpWriter::open() {
  try {
    state_->fd = connect_to(state_->uri, state_->options.timeout);
  } catch (const TcpLost& e) {
    throw std::runtime_error(e.what());  // down at start: at once
  }
}

void TcpWriter::add(std::string_view frame) {
  state_->add(frame);
}

void TcpWriter::end_of_batch() {
  if (state_->buffer.size() >= kSendBytes) state_->send_all();
}

void TcpWriter::on_idle() {
  state_->send_all();
}

void TcpWriter::finish() {
  state_->send_all();
  if (state_->fd >= 0) (void)::shutdown(state_->fd, SHUT_WR);
  state_->disconnect();
}

// A checkpoint covers what was sent before its barrier.
void TcpWriter::snapshot(StateWriter& /*state*/) {
  state_->send_all();
}

void TcpWriter::restore(StateReader& /*state*/) {}

void TcpWriter::on_checkpoint_complete(std::uint64_t /*id*/) {}

}  // namespace sw::detail
