// Backpressure: a fast source into a slow sink keeps the items in flight under a bound
// computed from the channel capacity and the batch size, and the source reports time
// blocked. No thread busy-waits meanwhile (the source parks). Producers share a channel
// fairly.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <streamweave/streamweave.hpp>
#include <thread>

#include "support/watchdog.hpp"

namespace {

struct Flow {
  std::atomic<std::int64_t> produced{0};
  std::atomic<std::int64_t> consumed{0};
  std::atomic<std::int64_t> max_in_flight{0};

  void observe() {
    const std::int64_t in_flight = produced.load() - consumed.load();
    std::int64_t seen = max_in_flight.load();
    while (in_flight > seen && !max_in_flight.compare_exchange_weak(seen, in_flight)) {
    }
  }
};

}  // namespace

TEST_CASE("a slow sink bounds the items in flight by the channel capacity") {
  sw::test::Watchdog watchdog("backpressure");
  constexpr std::size_t kBatch = 32;
  constexpr std::size_t kCapacity = 4;
  constexpr std::int64_t kItems = 6000;
  for (unsigned consumers : {1u, 3u}) {
    Flow flow;
    std::vector<std::unique_ptr<std::atomic<std::int64_t>>> per_sink;
    sw::Graph g{"backpressure"};
    auto src = g.source("fast",
                        sw::generate<std::int64_t>(kItems,
                                                   [&](std::uint64_t i) {
                                                     flow.produced.fetch_add(1);
                                                     return static_cast<std::int64_t>(i);
                                                   }),
                        {.parallelism = 1, .batch_size = kBatch});
    for (unsigned c = 0; c < consumers; ++c) {
      per_sink.push_back(std::make_unique<std::atomic<std::int64_t>>(0));
      auto* mine = per_sink.back().get();
      src.sink("slow" + std::to_string(c), sw::for_each([&flow, mine, c](std::int64_t) {
                 if (c == 0) {
                   flow.observe();
                   std::this_thread::sleep_for(std::chrono::microseconds(100));
                   flow.consumed.fetch_add(1);
                 }
                 mine->fetch_add(1);
               }),
               {.parallelism = 1, .channel_capacity = kCapacity, .chain = false});
    }
    const sw::RunReport r = sw::run(g, {.threads = 2});
    for (const auto& n : per_sink) CHECK(n->load() == kItems);
    // In flight: the channel (capacity + one step's overshoot), the batch being consumed,
    // and the partial batch at the source.
    const std::int64_t bound = static_cast<std::int64_t>((kCapacity + 3) * kBatch);
    INFO("consumers " << consumers << ", max in flight " << flow.max_in_flight.load() << ", bound "
                      << bound);
    CHECK(flow.max_in_flight.load() <= bound);
    CHECK(flow.max_in_flight.load() >= static_cast<std::int64_t>(kCapacity * kBatch / 2));
    CHECK(r.node("fast").blocked_seconds > 0.1);
  }
}

TEST_CASE("producers into one channel share it fairly: source instances stay together in time",
          "[backpressure]") {
  // Two source instances, each with event times 0, 1, 2, ... into one keyed sliding window
  // that is slower than they are, so both are held back. When a freed slot went to whichever
  // producer woke first, one instance took most slots and ran ahead of the other: the window
  // held the state of all the windows between them (NEXMark q5 grew without bound).
  sw::test::Watchdog watchdog("fair channels");
  constexpr std::uint64_t kItems = 1000000;  // 500 000 per instance
  constexpr std::int64_t kKeys = 500;
  std::mt19937 rng(Catch::rngSeed());
  for (int round = 0; round < 2; ++round) {
    const std::size_t batch = 64 + rng() % 449;
    INFO("batch " << batch);
    struct Item {
      std::int64_t key;
      std::int64_t time;
    };
    sw::Graph g{"fair"};
    std::vector<sw::Windowed<std::int64_t, std::uint64_t>> out;
    g.source("items",
             sw::generate<Item>(kItems,
                                [](std::uint64_t i) {
                                  const auto t = static_cast<std::int64_t>(i % (kItems / 2));
                                  return Item{(t * 7919) % kKeys, t};
                                }),
             {.parallelism = 2, .batch_size = batch})
        .with_watermarks("time", [](const Item& x) { return x.time; })
        .key_by([](const Item& x) { return x.key; })
        .window("counts", sw::sliding(2000, 200), [](const Item& x) { return x.time; },
                sw::agg::count(), {.node = {.parallelism = 1}})
        .sink("out", sw::collect(out));
    const sw::RunReport report = sw::run(g, {.threads = 2});
    std::uint64_t total = 0;
    for (const auto& w : out) total += w.value;
    CHECK(total == kItems * 10);  // each item is in 10 windows
    CHECK(report.node("counts").late_dropped == 0);
    CHECK(report.node("items").blocked_seconds > 0);
    // Together, the two instances hold ~11 windows of every key (5500); measured 10 000 -
    // 19 000 with fair channels, 700 000 - 1 235 000 without (one instance ran almost to its
    // end first), and 65 000 once with fair channels on a machine busy with other builds (the
    // OS left one source's thread unscheduled). 200 windows per key: instances 40 000 apart
    // in time, still a sixth of the least seen without fairness.
    CHECK(report.node("counts").state_entries < 200 * kKeys);
  }
}
