// Scheduling (runtime/src/run_context.cpp): the workers that run an in-process run's tasks.
// Checked through whole runs: a worker blocked in one task does not hold up the other tasks,
// and random shapes, thread counts, batch sizes and channel capacities give exact results (a
// lost wake-up would hang, under the watchdog).
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <streamweave/streamweave.hpp>
#include <vector>

#include "support/helpers.hpp"
#include "support/watchdog.hpp"

TEST_CASE("a worker blocked in one task does not hold up the other tasks") {
  sw::test::Watchdog watchdog("blocked worker", std::chrono::seconds(120));
  // One sink blocks its worker until the other chain has delivered every item: that chain's
  // five tasks finish only if the free worker runs all of them, whatever they ran on before.
  constexpr int kItems = 200000;
  std::mutex mutex;
  std::condition_variable delivered;
  int received = 0;
  bool timed_out = false;

  sw::Graph g{"blocked"};
  g.source("slow-source", sw::from(std::vector<int>{1, 2}), {.parallelism = 1})
      .sink("blocking", sw::for_each([&](int) {
              std::unique_lock lock(mutex);
              timed_out = timed_out || !delivered.wait_for(lock, std::chrono::seconds(30),
                                                           [&] { return received == kItems; });
            }),
            {.parallelism = 1});
  g.source("busy-source", sw::from(sw::test::iota(kItems)), {.parallelism = 2})
      .map("double", [](int v) { return 2 * v; }, {.parallelism = 2})
      .sink("count", sw::for_each([&](int) {
              std::lock_guard lock(mutex);
              if (++received == kItems) delivered.notify_all();
            }),
            {.parallelism = 3});
  const sw::RunReport report = sw::run(g, {.threads = 2, .batch_size = 64, .channel_capacity = 2});
  CHECK_FALSE(timed_out);
  CHECK(received == kItems);
  CHECK(report.node("blocking").items_in == 2);
}

TEST_CASE("random shapes on random worker counts give exact sums") {
  std::mt19937 rng(Catch::rngSeed());
  for (int round = 0; round < 12; ++round) {
    sw::test::Watchdog watchdog("worker pool round", std::chrono::seconds(60));
    const unsigned threads = 1 + rng() % 4;
    const unsigned sources = 1 + rng() % 3;
    const unsigned reducers = 1 + rng() % 3;
    const std::size_t batch = 1 + rng() % 512;
    const std::size_t capacity = 1 + rng() % 8;
    const std::uint64_t n = 1 + rng() % 100000;
    INFO("threads " << threads << ", sources " << sources << ", reducers " << reducers << ", batch "
                    << batch << ", capacity " << capacity << ", items " << n);
    sw::Graph g{"random"};
    std::vector<sw::KeyValue<std::uint64_t, std::uint64_t>> out;
    g.source("numbers", sw::generate<std::uint64_t>(n, [](std::uint64_t i) { return i; }),
             {.parallelism = sources})
        .filter("odd-or-small", [](std::uint64_t v) { return v % 2 == 1 || v < 1000; })
        .key_by([](std::uint64_t v) { return v % 97; })
        .reduce("sum", [](std::uint64_t acc, std::uint64_t v) { return acc + v; },
                {.emit = sw::Emit::at_end, .node = {.parallelism = reducers}})
        .sink("out", sw::collect(out));
    (void)sw::run(g, {.threads = threads, .batch_size = batch, .channel_capacity = capacity});
    std::map<std::uint64_t, std::uint64_t> expected;
    for (std::uint64_t v = 0; v < n; ++v) {
      if (v % 2 == 1 || v < 1000) expected[v % 97] += v;
    }
    std::map<std::uint64_t, std::uint64_t> got;
    for (const auto& kv : out) got[kv.key] += kv.value;
    REQUIRE(got == expected);
  }
}
