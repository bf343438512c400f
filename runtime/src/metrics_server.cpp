#include "metrics_server.hpp"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace sw::runtime {

namespace {

// Closes a descriptor when it goes out of scope.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

std::system_error listen_error(int error, const std::string& address, std::uint16_t port) {
  return {error, std::generic_category(),
          fmt::format("metrics server: cannot listen on {}:{}", address, port)};
}

// A socket listening on address:port; throws listen_error.
int listen_on(const std::string& address, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(address.c_str(), service.c_str(), &hints, &found); rc != 0) {
    throw std::system_error(EINVAL, std::generic_category(),
                            fmt::format("metrics server: cannot listen on {}:{}: {}", address, port,
                                        ::gai_strerror(rc)));
  }
  int error = EADDRNOTAVAIL;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      error = errno;
      continue;
    }
    const int on = 1;
    (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 16) == 0) {
      ::freeaddrinfo(found);
      return fd;
    }
    error = errno;
    ::close(fd);
  }
  ::freeaddrinfo(found);
  throw listen_error(error, address, port);
}

std::uint16_t bound_port(int fd) {
  sockaddr_storage bound{};
  socklen_t size = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &size) != 0) return 0;
  if (bound.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
}

}  // namespace

MetricsServer::MetricsServer(const std::string& address, std::uint16_t port,
                             std::function<std::string()> render)
    : render_(std::move(render)) {
  listener_ = listen_on(address, port);
  port_ = bound_port(listener_);
  stop_event_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_event_ < 0) {
    const int error = errno;
    ::close(listener_);
    throw listen_error(error, address, port);
  }
  thread_ = std::thread([this] { serve(); });
}

MetricsServer::~MetricsServer() {
  const std::uint64_t one = 1;
  (void)!::write(stop_event_, &one, sizeof one);
  thread_.join();
  ::close(listener_);
  ::close(stop_event_);
}

bool MetricsServer::wait_for(int fd, short events,
                             std::chrono::steady_clock::time_point deadline) const noexcept {
  for (;;) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[2] = {{fd, events, 0}, {stop_event_, POLLIN, 0}};
    const int rc = ::poll(fds, 2, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0 || fds[1].revents != 0) return false;
    return fds[0].revents != 0;
  }
}

void MetricsServer::serve() noexcept {
  const auto forever = std::chrono::steady_clock::time_point::max();
  while (wait_for(listener_, POLLIN, forever)) {
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) continue;  // the peer left already, or out of descriptors for now
    FdCloser closer{client};
    answer(client);
  }
}

void MetricsServer::answer(int client) noexcept {
  const auto deadline = std::chrono::steady_clock::now() + kRequestTimeout;
  char buffer[kMaxRequestBytes];
  std::size_t size = 0;
  std::string_view head;
  for (;;) {
    if (!wait_for(client, POLLIN, deadline)) return;
    const ssize_t n = ::recv(client, buffer + size, sizeof buffer - size, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return;
    size += static_cast<std::size_t>(n);
    const std::string_view got(buffer, size);
    if (const std::size_t end = got.find("\r\n\r\n"); end != std::string_view::npos) {
      head = got.substr(0, end);
      break;
    }
    if (size == sizeof buffer) break;  // too long: answered below
  }
  std::string reply;
  try {
    reply = head.empty() && size == sizeof buffer
                ? http_error_response("431 Request Header Fields Too Large",
                                      "request head over 8 KiB\n")
                : http_response(head, render_);
  } catch (...) {
    return;  // out of memory: drop the connection
  }
  std::size_t sent = 0;
  while (sent < reply.size()) {
    const ssize_t n = ::send(client, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!wait_for(client, POLLOUT, deadline + kRequestTimeout)) return;
      continue;
    }
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace sw::runtime
