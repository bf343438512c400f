// Pushes JSON access-log lines (the logs pipeline's input) into a Redis stream, for the
// end-to-end sample Redis -> logs -> PostgreSQL (scripts/live_demo.sh):
//   --events N            as fast as pipelining allows, event times 1 ms apart (a backlog);
//   --rate R --seconds S  R lines a second for S seconds, event time running 60 times faster
//                         than the wall clock (a second is an event-time minute), so windows
//                         of a minute close every second.
// Prints "start_ms=T0 event_start_ms=E0": in the paced mode an event time E was pushed at
// T0 + (E - E0) / 60.
//   live_logs --uri redis://host:port/STREAM (--events N | --rate R --seconds S)
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <streamweave/operators/io/redis_client.hpp>
#include <string>
#include <thread>

namespace {

constexpr std::int64_t kEventStart = 1'795'392'000'000;  // 2026-11-23T00:00:00Z
constexpr int kSpeedUp = 60;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void add_line(std::string& pipeline, const std::string& stream, std::uint64_t i,
              std::int64_t time_ms) {
  const std::string line = fmt::format(
      R"({{"time_ms": {}, "method": "GET", "path": "/p{}", "status": {}, "latency_ms": {}.5}})",
      time_ms, i % 16, i % 97 == 0 ? 503 : 200, i % 250);
  const std::array<std::string_view, 5> args{"XADD", stream, "*", "data", line};
  sw::append_command(pipeline, args);
}

void send(sw::RedisClient& client, std::string& pipeline, std::uint64_t n) {
  client.append_formatted(pipeline);
  for (std::uint64_t k = 0; k < n; ++k) client.expect_ok(client.reply().value(), "XADD");
  pipeline.clear();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"JSON access logs into a Redis stream, as a backlog or at a rate"};
  std::string uri;
  std::uint64_t events = 0, rate = 0;
  double seconds = 0;
  app.add_option("--uri", uri, "redis://host:port/STREAM")->required();
  app.add_option("--events", events, "push this many at once (event times 1 ms apart)");
  app.add_option("--rate", rate, "lines a second");
  app.add_option("--seconds", seconds, "for this long");
  CLI11_PARSE(app, argc, argv);
  const sw::RedisAddress address = sw::RedisAddress::parse(uri);
  sw::RedisClient client(address);
  std::string pipeline;
  const std::int64_t start = wall_ms();
  fmt::print("start_ms={} event_start_ms={}\n", start, kEventStart);
  std::fflush(stdout);
  if (events > 0) {
    for (std::uint64_t i = 0; i < events; i += 1000) {
      const std::uint64_t n = std::min<std::uint64_t>(1000, events - i);
      for (std::uint64_t k = 0; k < n; ++k) {
        add_line(pipeline, address.path, i + k, kEventStart + static_cast<std::int64_t>(i + k));
      }
      send(client, pipeline, n);
    }
    return 0;
  }
  // Paced: every millisecond, what is due by then.
  std::uint64_t pushed = 0;
  const auto begin = std::chrono::steady_clock::now();
  for (;;) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    if (elapsed >= seconds) break;
    const auto due = static_cast<std::uint64_t>(elapsed * static_cast<double>(rate));
    const std::int64_t event_time = kEventStart + (wall_ms() - start) * kSpeedUp;
    for (std::uint64_t i = pushed; i < due; ++i) add_line(pipeline, address.path, i, event_time);
    send(client, pipeline, due - pushed);
    pushed = due;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  fmt::print(stderr, "pushed {} lines in {:.1f} s\n", pushed, seconds);
  return 0;
}
