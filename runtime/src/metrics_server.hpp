// Internal: the HTTP server of live metrics (MetricsOptions). One thread answers one request
// per connection, in turn: GET or HEAD of /metrics gets what `render` returns, in
// Prometheus' text format. A request's head is read within kRequestTimeout and up to
// kMaxRequestBytes; a client that is slower or sends more gets an error status and is dropped,
// so no client can hold the server or grow its memory.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "metrics_http.hpp"

namespace sw::runtime {

inline constexpr std::size_t kMaxRequestBytes = 8192;
inline constexpr std::chrono::milliseconds kRequestTimeout{2000};

class MetricsServer {
 public:
  // Listens on address:port (port 0: a free one) and starts answering. Throws
  // std::system_error naming the address when it cannot listen (port taken, no such address).
  MetricsServer(const std::string& address, std::uint16_t port,
                std::function<std::string()> render);
  // Stops answering (a request being answered is cut off) and closes the socket.
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

 private:
  void serve() noexcept;
  void answer(int client) noexcept;
  // Waits until `fd` has `events` or the deadline passes or the server stops; false then.
  [[nodiscard]] bool wait_for(int fd, short events,
                              std::chrono::steady_clock::time_point deadline) const noexcept;

  int listener_ = -1;
  int stop_event_ = -1;  // an eventfd the destructor signals
  std::uint16_t port_ = 0;
  std::function<std::string()> render_;
  std::thread thread_;
};

}  // namespace sw::runtime
