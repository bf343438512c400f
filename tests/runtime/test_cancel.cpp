// Cancellation: a never-ending source stops promptly at the deadline or on a CancelToken,
// and run() returns a report marked cancelled.
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>
#include <thread>

#include "support/watchdog.hpp"

TEST_CASE("a deadline stops a never-ending source") {
  sw::test::Watchdog watchdog("deadline", std::chrono::seconds(30));
  sw::Graph g{"endless"};
  std::uint64_t n = 0;
  g.source("endless", sw::generate<std::uint64_t>(sw::unbounded, [](std::uint64_t i) { return i; }))
      .map("m", [](std::uint64_t v) { return v + 1; })
      .sink("n", sw::count(n));
  const auto start = sw::Clock::now();
  const sw::RunReport r = sw::run(g, {.threads = 2, .deadline = std::chrono::milliseconds(200)});
  const auto took = sw::Clock::now() - start;
  CHECK(r.status == sw::RunReport::Status::cancelled);
  CHECK(r.events > 0);
  CHECK(took >= std::chrono::milliseconds(200));
  CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("a cancel token from another thread stops the run") {
  sw::test::Watchdog watchdog("cancel token", std::chrono::seconds(30));
  sw::Graph g{"endless"};
  sw::CancelToken token;
  std::atomic<std::uint64_t> seen{0};
  g.source("endless", sw::generate<std::uint64_t>(sw::unbounded, [](std::uint64_t i) { return i; }),
           {.parallelism = 2})
      .rebalance()
      .sink("slowish",
            sw::for_each([&](std::uint64_t) { seen.fetch_add(1, std::memory_order_relaxed); }));
  std::thread canceller([&] {
    while (seen.load() < 100000) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    token.cancel();
  });
  const sw::RunReport r = sw::run(g, {.threads = 2, .cancel = token});
  canceller.join();
  CHECK(r.status == sw::RunReport::Status::cancelled);
  CHECK(seen.load() >= 100000);
}

TEST_CASE("a run that finishes before its deadline is complete") {
  sw::test::Watchdog watchdog("deadline not reached");
  sw::Graph g{"finite"};
  std::uint64_t n = 0;
  g.source("s", sw::generate<int>(1000, [](std::uint64_t i) { return static_cast<int>(i); }))
      .sink("n", sw::count(n));
  const sw::RunReport r = sw::run(g, {.threads = 2, .deadline = std::chrono::seconds(60)});
  CHECK(r.status == sw::RunReport::Status::completed);
  CHECK(n == 1000);
}
