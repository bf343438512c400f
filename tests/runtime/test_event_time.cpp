// Watermarks through the runtime: a node passes on the minimum over its inputs, so a fast
// input never makes a slow one's items late; an idle input stops holding the others back
// after RunOptions::idle_timeout.
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include <chrono>
#include <optional>
#include <thread>

#include "support/watchdog.hpp"

namespace {

struct Tick {
  std::int64_t time = 0;
  friend bool operator==(const Tick&, const Tick&) = default;
};

// Ticks 0, 1, ..., n - 1, sleeping a little every `every` ticks (0: never).
struct SlowTicks {
  std::int64_t n;
  std::int64_t every;
  std::int64_t next_time = 0;
  std::optional<Tick> next() {
    if (next_time == n) return std::nullopt;
    if (every != 0 && next_time % every == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    return Tick{next_time++};
  }
};

// Nothing for `quiet`, then the end.
struct Quiet {
  std::chrono::milliseconds quiet;
  std::optional<Tick> next() {
    std::this_thread::sleep_for(quiet);
    return std::nullopt;
  }
};

auto tick_time = [](const Tick& t) { return t.time; };

}  // namespace

TEST_CASE("a merge passes on the minimum watermark: a fast input makes nothing late") {
  sw::test::Watchdog watchdog("minimum watermark");
  sw::Graph g{"min"};
  std::vector<sw::Windowed<sw::AllKeys, std::uint64_t>> out;
  auto fast = g.source("fast", sw::producer(SlowTicks{10000, 0}), {.parallelism = 1})
                  .with_watermarks("fast-time", tick_time);
  auto slow =
      g.source("slow", sw::producer(SlowTicks{10000, 100}), {.parallelism = 1, .batch_size = 50})
          .with_watermarks("slow-time", tick_time);
  fast.merge(slow)
      .window_all("counts", sw::tumbling(1000), tick_time, sw::agg::count())
      .sink("out", sw::collect(out));
  const sw::RunReport report = sw::run(g, {.threads = 2});
  CHECK(report.node("counts").late_dropped == 0);
  REQUIRE(out.size() == 10);
  for (const auto& w : out) CHECK(w.value == 2000);
}

TEST_CASE("an idle input stops holding back the watermark after idle_timeout") {
  sw::test::Watchdog watchdog("idle input");
  for (const bool idle : {false, true}) {
    sw::Graph g{"idle"};
    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    std::vector<double> fired_after;  // seconds since start, per window
    auto busy =
        g.source("busy", sw::producer(SlowTicks{5000, 10}), {.parallelism = 1, .batch_size = 50})
            .with_watermarks("busy-time", tick_time);
    auto quiet =
        g.source("quiet", sw::producer(Quiet{std::chrono::milliseconds(1500)}), {.parallelism = 1})
            .with_watermarks("quiet-time", tick_time);
    busy.merge(quiet)
        .window_all("counts", sw::tumbling(1000), tick_time, sw::agg::count())
        .sink("out", sw::for_each([&](const sw::Windowed<sw::AllKeys, std::uint64_t>&) {
                fired_after.push_back(std::chrono::duration<double>(Clock::now() - start).count());
              }));
    sw::RunOptions options{.threads = 3};
    if (idle) options.idle_timeout = std::chrono::milliseconds(100);
    sw::run(g, options);
    REQUIRE(fired_after.size() == 5);
    INFO("idle_timeout " << (idle ? "100 ms" : "off") << ": first window after "
                         << fired_after.front() << " s");
    if (idle) {
      CHECK(fired_after.front() < 1.0);  // long before the quiet source ended at 1.5 s
    } else {
      CHECK(fired_after.front() >= 1.4);  // held back until the quiet source ended
    }
  }
}
