// Live metrics (docs/metrics.md): a run serves what it has done so far, in Prometheus' text
// format, at http://<address>:<port>/metrics while it runs — per node and instance, per rank
// in distributed mode. Plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace sw {

struct MetricsOptions {
  // The port to serve on; unset: no server. 0: a free port the system picks (on_listening
  // says which). Distributed mode: rank r serves on port + r (on a free one when port is 0).
  std::optional<std::uint16_t> port{};
  // The address to listen on: loopback unless a scraper on another host needs it
  // ("0.0.0.0": every interface).
  std::string address = "127.0.0.1";
  // Called once the server listens, with its port, from the thread that called run(),
  // before any node runs.
  std::function<void(std::uint16_t port)> on_listening{};
  // The unit of the graph's event time, taken as counted from the Unix epoch (NEXMark's
  // epoch milliseconds by default): the watermark's lag behind the wall clock is in it.
  std::chrono::nanoseconds event_time_unit = std::chrono::milliseconds(1);
};

}  // namespace sw
