// RunOptions::source_rate (sources paced by timers) and RunOptions::on_progress.
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <streamweave/streamweave.hpp>
#include <thread>
#include <vector>

#include "support/watchdog.hpp"

TEST_CASE("source_rate: sources emit no faster than the rate, and everything arrives") {
  sw::test::Watchdog watchdog("source_rate", std::chrono::seconds(60));
  for (const unsigned parallelism : {1U, 3U}) {
    sw::Graph g{"paced"};
    std::uint64_t n = 0;
    g.source("numbers",
             sw::generate<int>(2000, [](std::uint64_t i) { return static_cast<int>(i); }),
             {.parallelism = parallelism})
        .sink("n", sw::count(n));
    sw::RunOptions options;
    options.threads = 2;
    options.source_rate = 4000;  // 2000 items: at least half a second
    const auto start = std::chrono::steady_clock::now();
    const sw::RunReport report = sw::run(g, options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(n == 2000);
    CHECK(seconds >= 0.45);  // a lower bound only: a slow machine makes it longer, never shorter
    CHECK(report.node("numbers").busy_seconds < seconds * parallelism);  // timers, not spinning
  }
}

TEST_CASE("on_progress: called while the graph runs, events rising to the total") {
  sw::test::Watchdog watchdog("on_progress", std::chrono::seconds(60));
  sw::Graph g{"progress"};
  std::uint64_t n = 0;
  g.source("numbers", sw::generate<int>(3000, [](std::uint64_t i) { return static_cast<int>(i); }))
      .sink("n", sw::count(n));
  std::vector<sw::RunProgress> seen;
  sw::RunOptions options;
  options.threads = 2;
  options.source_rate = 6000;  // about half a second
  options.progress_interval = std::chrono::milliseconds(50);
  options.on_progress = [&seen](const sw::RunProgress& p) { seen.push_back(p); };
  sw::run(g, options);
  CHECK(n == 3000);
  REQUIRE(seen.size() >= 3);
  for (std::size_t i = 1; i < seen.size(); ++i) {
    CHECK(seen[i].events >= seen[i - 1].events);
    CHECK(seen[i].elapsed_seconds > seen[i - 1].elapsed_seconds);
  }
  CHECK(seen.back().events <= 3000);
  CHECK(seen.back().events > 0);
  // A paced source and a fast sink wait for the clock, not for room: hardly ever blocked.
  CHECK(seen.back().blocked_share < 0.2);
}

TEST_CASE("on_progress: a slow sink shows as the source's share of time blocked") {
  sw::test::Watchdog watchdog("on_progress blocked", std::chrono::seconds(60));
  sw::Graph g{"blocked"};
  g.source("numbers", sw::generate<int>(600, [](std::uint64_t i) { return static_cast<int>(i); }),
           {.parallelism = 1, .batch_size = 4, .channel_capacity = 1})
      .sink("slow",
            sw::for_each([](int) { std::this_thread::sleep_for(std::chrono::milliseconds(1)); }),
            {.parallelism = 1, .channel_capacity = 1, .chain = false});
  std::vector<sw::RunProgress> seen;
  sw::RunOptions options;
  options.threads = 2;
  options.progress_interval = std::chrono::milliseconds(50);
  options.on_progress = [&seen](const sw::RunProgress& p) { seen.push_back(p); };
  sw::run(g, options);
  REQUIRE(seen.size() >= 3);
  // Two tasks: the source parked on a full channel nearly all the time, the sink never.
  CHECK(seen.back().blocked_share > 0.25);
  CHECK(seen.back().blocked_share <= 0.5);
}

TEST_CASE("on_progress: a callback that throws fails the run, cleanly") {
  sw::test::Watchdog watchdog("on_progress throws", std::chrono::seconds(60));
  sw::Graph g{"progress"};
  g.source("numbers",
           sw::generate<int>(sw::unbounded, [](std::uint64_t i) { return static_cast<int>(i); }))
      .sink("d", sw::discard());
  sw::RunOptions options;
  options.threads = 2;
  options.progress_interval = std::chrono::milliseconds(20);
  options.on_progress = [](const sw::RunProgress&) { throw std::runtime_error("display gone"); };
  CHECK_THROWS_WITH(sw::run(g, options), Catch::Contains("display gone"));
}
