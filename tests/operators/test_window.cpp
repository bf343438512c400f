// Windows over event time: tumbling, sliding, session and count windows, keyed and global,
// against a plain single-threaded computation over the same items; late items; randomised
// parallelism and batch sizes must not change the result.
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <tuple>
#include <vector>

#include "support/helpers.hpp"
#include "support/watchdog.hpp"

namespace {

struct Reading {
  std::uint32_t sensor = 0;
  std::int64_t time = 0;
  std::int64_t value = 0;
  friend bool operator==(const Reading&, const Reading&) = default;
  friend auto operator<=>(const Reading&, const Reading&) = default;
};

// Times that wander at most 50 behind the newest one, so with_watermarks(50) sees no late item.
Reading reading(std::uint64_t i) {
  const auto jitter = static_cast<std::int64_t>((i * 7919) % 50);
  return Reading{static_cast<std::uint32_t>((i * 2654435761u) % 13),
                 static_cast<std::int64_t>(i) * 3 - jitter, static_cast<std::int64_t>(i % 101)};
}

constexpr std::uint64_t kItems = 20000;

std::vector<Reading> all_readings() {
  std::vector<Reading> v;
  for (std::uint64_t i = 0; i < kItems; ++i) v.push_back(reading(i));
  return v;
}

using Row =
    std::tuple<std::uint32_t, std::int64_t, std::int64_t, std::int64_t>;  // key, start, end, value

template <class W>
std::vector<Row> rows(const std::vector<W>& results) {
  std::vector<Row> out;
  for (const W& w : results)
    out.emplace_back(w.key, w.start, w.end, static_cast<std::int64_t>(w.value));
  std::sort(out.begin(), out.end());
  return out;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// The expected sums per key and window of size `size` every `slide`.
std::vector<Row> expected_sliding(std::int64_t size, std::int64_t slide) {
  std::map<std::tuple<std::uint32_t, std::int64_t>, std::int64_t> sums;
  for (const Reading& r : all_readings()) {
    for (std::int64_t start = floor_div(r.time, slide) * slide; start > r.time - size;
         start -= slide) {
      sums[{r.sensor, start}] += r.value;
    }
  }
  std::vector<Row> out;
  for (const auto& [k, v] : sums)
    out.emplace_back(std::get<0>(k), std::get<1>(k), std::get<1>(k) + size, v);
  std::sort(out.begin(), out.end());
  return out;
}

struct Setup {
  unsigned source_parallelism;
  unsigned window_parallelism;
  std::size_t batch;
};

Setup random_setup(std::mt19937& rng) {
  return {1 + static_cast<unsigned>(rng() % 3), 1 + static_cast<unsigned>(rng() % 3),
          1 + rng() % 500};
}

}  // namespace

TEST_CASE("tumbling and sliding windows per key give the plain computation's sums", "[window]") {
  sw::test::Watchdog watchdog("tumbling and sliding windows");
  std::mt19937 rng(Catch::rngSeed());
  for (const auto& [size, slide] :
       {std::pair<std::int64_t, std::int64_t>{1000, 1000}, {1000, 250}, {777, 100}}) {
    for (int round = 0; round < 3; ++round) {
      const Setup s = random_setup(rng);
      INFO("size " << size << " slide " << slide << " parallelism " << s.source_parallelism << "/"
                   << s.window_parallelism << " batch " << s.batch);
      sw::Graph g{"windows"};
      std::vector<sw::Windowed<std::uint32_t, std::int64_t>> out;
      g.source("readings", sw::generate<Reading>(kItems, reading),
               {.parallelism = s.source_parallelism, .batch_size = s.batch})
          .with_watermarks("time", [](const Reading& r) { return r.time; },
                           {.out_of_orderness = 50})
          .key_by([](const Reading& r) { return r.sensor; })
          .window("sums", sw::sliding(size, slide), [](const Reading& r) { return r.time; },
                  sw::agg::sum<Reading>([](const Reading& r) { return r.value; }),
                  {.node = {.parallelism = s.window_parallelism}})
          .sink("out", sw::collect(out), {.parallelism = 1});
      const sw::RunReport report = sw::run(g, {.threads = 2});
      CHECK(rows(out) == expected_sliding(size, slide));
      CHECK(report.node("sums").late_dropped == 0);
      CHECK(report.node("sums").state_entries > 0);
      CHECK_THAT(report.summary(), Catch::Contains("stateful node"));
    }
  }
}

TEST_CASE("windows fire on the watermark, before end of stream, in order of end", "[window]") {
  sw::test::Watchdog watchdog("windows fire on the watermark");
  // One instance throughout; the sink sees results while the source is still producing.
  sw::Graph g{"early"};
  std::vector<std::int64_t> ends;
  std::vector<std::uint64_t> produced_when_seen;
  std::atomic<std::uint64_t> produced{0};
  g.source("readings",
           sw::generate<Reading>(kItems,
                                 [&produced](std::uint64_t i) {
                                   produced.store(i, std::memory_order_relaxed);
                                   return Reading{0, static_cast<std::int64_t>(i), 1};
                                 }),
           {.parallelism = 1, .batch_size = 64})
      .with_watermarks("time", [](const Reading& r) { return r.time; })
      .key_by([](const Reading& r) { return r.sensor; })
      .window("counts", sw::tumbling(1000), [](const Reading& r) { return r.time; },
              sw::agg::count(), {.node = {.parallelism = 1}})
      .sink("out", sw::for_each([&](const sw::Windowed<std::uint32_t, std::uint64_t>& w) {
              ends.push_back(w.end);
              produced_when_seen.push_back(produced.load(std::memory_order_relaxed));
              CHECK(w.value == 1000);
            }),
            {.parallelism = 1});
  sw::run(g, {.threads = 2});
  REQUIRE(ends.size() == kItems / 1000);
  CHECK(std::is_sorted(ends.begin(), ends.end()));
  // The first window fired long before the source was done.
  CHECK(produced_when_seen.front() < kItems / 2);
}

TEST_CASE("session windows close after a gap, per key", "[window]") {
  sw::test::Watchdog watchdog("session windows");
  // Per key, bursts of items 1 apart, bursts 100 apart: sessions with gap 10 are the bursts.
  auto item = [](std::uint64_t i) {
    const std::uint64_t burst = i / 30;
    return Reading{static_cast<std::uint32_t>(i % 3),
                   static_cast<std::int64_t>(burst * 100 + (i % 30)), 1};
  };
  std::map<std::tuple<std::uint32_t, std::int64_t>, std::pair<std::int64_t, std::int64_t>> expected;
  for (std::uint64_t i = 0; i < 3000; ++i) {
    const Reading r = item(i);
    auto& [last, count] = expected[{r.sensor, static_cast<std::int64_t>(i / 30) * 100}];
    last = std::max(last, r.time);
    ++count;
  }
  std::vector<Row> want;
  for (const auto& [k, v] : expected) {
    want.emplace_back(std::get<0>(k), std::get<1>(k) + (std::get<0>(k) == 0 ? 0 : 0), 0, v.second);
  }
  std::mt19937 rng(Catch::rngSeed());
  for (int round = 0; round < 3; ++round) {
    const Setup s = random_setup(rng);
    sw::Graph g{"sessions"};
    std::vector<sw::Windowed<std::uint32_t, std::uint64_t>> out;
    g.source("readings", sw::generate<Reading>(3000, item),
             {.parallelism = s.source_parallelism, .batch_size = s.batch})
        .with_watermarks("time", [](const Reading& r) { return r.time; }, {.out_of_orderness = 200})
        .key_by([](const Reading& r) { return r.sensor; })
        .window("sessions", sw::session(10), [](const Reading& r) { return r.time; },
                sw::agg::count(), {.node = {.parallelism = s.window_parallelism}})
        .sink("out", sw::collect(out), {.parallelism = 1});
    sw::run(g, {.threads = 2});
    std::vector<Row> got;
    for (const auto& w : out) {
      // A session spans its first to its last item, plus the gap.
      const auto& [last, count] = expected.at({w.key, w.start - w.start % 100});
      CHECK(w.end == last + 10);
      got.emplace_back(w.key, w.start - w.start % 100, 0, static_cast<std::int64_t>(w.value));
      CHECK(static_cast<std::int64_t>(w.value) == count);
    }
    std::sort(got.begin(), got.end());
    std::vector<Row> keys_only;
    for (const auto& [k, v] : expected)
      keys_only.emplace_back(std::get<0>(k), std::get<1>(k), 0, v.second);
    CHECK(got == keys_only);
  }
}

TEST_CASE("count windows hold n items per key, end of stream fires the rest", "[window]") {
  sw::Graph g{"counts"};
  std::vector<sw::Windowed<std::uint32_t, std::int64_t>> out;
  g.source("readings",
           sw::generate<Reading>(
               1000,
               [](std::uint64_t i) {
                 return Reading{static_cast<std::uint32_t>(i % 2), 0, static_cast<std::int64_t>(i)};
               }),
           {.parallelism = 1})
      .key_by([](const Reading& r) { return r.sensor; })
      .window("by-100", sw::count_window(300),
              sw::agg::sum<Reading>([](const Reading& r) { return r.value; }))
      .sink("out", sw::collect(out), {.parallelism = 1});
  sw::run(g, {.threads = 2});
  // Key 0: items 0, 2, ..., 998 (500 items): windows of 300 and 200.
  std::map<std::pair<std::uint32_t, std::int64_t>, std::int64_t> got;
  for (const auto& w : out) got[{w.key, w.start}] = w.value;
  REQUIRE(got.size() == 4);
  std::int64_t first_key0 = 0;
  for (int i = 0; i < 300; ++i) first_key0 += 2 * i;
  CHECK(got.at({0, 0}) == first_key0);
  CHECK(got.at({0, 300}) + got.at({0, 0}) == 249500);  // 0 + 2 + ... + 998
  CHECK(got.at({1, 300}) + got.at({1, 0}) == 250000);  // 1 + 3 + ... + 999
}

TEST_CASE("window_all: one global window stream with max and a process function", "[window]") {
  sw::Graph g{"global"};
  std::vector<sw::Windowed<sw::AllKeys, std::int64_t>> maxima;
  std::vector<sw::Windowed<sw::AllKeys, std::size_t>> sizes;
  auto readings =
      g.source("readings",
               sw::generate<Reading>(10000,
                                     [](std::uint64_t i) {
                                       return Reading{0, static_cast<std::int64_t>(i),
                                                      static_cast<std::int64_t>((i * 37) % 1000)};
                                     }),
               {.parallelism = 2})
          .with_watermarks("time", [](const Reading& r) { return r.time; });
  readings
      .window_all(
          "max", sw::tumbling(2500), [](const Reading& r) { return r.time; },
          sw::agg::max<Reading>([](const Reading& r) { return r.value; }))
      .sink("max-out", sw::collect(maxima));
  readings
      .window_all(
          "sizes", sw::tumbling(2500), [](const Reading& r) { return r.time; },
          sw::process_window<Reading>([](sw::AllKeys, std::int64_t start, std::int64_t end,
                                         std::span<const Reading> items) {
            CHECK(std::all_of(items.begin(), items.end(),
                              [&](const Reading& r) { return r.time >= start && r.time < end; }));
            return items.size();
          }))
      .sink("sizes-out", sw::collect(sizes));
  const sw::RunReport report = sw::run(g, {.threads = 2});
  REQUIRE(maxima.size() == 4);
  REQUIRE(sizes.size() == 4);
  for (const auto& w : maxima) CHECK(w.value == 999);
  for (const auto& w : sizes) CHECK(w.value == 2500);
  CHECK(report.node("max").parallelism == 1);
  CHECK(report.node("sizes").state_bytes >= 2500 * sizeof(Reading));
}

TEST_CASE("a process window's state is the items of the windows held, not of all items seen",
          "[window]") {
  // 100 000 items in order, 1000 per tumbling or session window: a few windows are held at a
  // time, however many went before (state_bytes once kept growing with every item).
  constexpr std::uint64_t kMany = 100000;
  const auto count_items =
      sw::process_window<Reading>([](sw::AllKeys, std::int64_t, std::int64_t,
                                     std::span<const Reading> items) { return items.size(); });
  for (const bool sessions : {false, true}) {
    INFO((sessions ? "session" : "tumbling") << " windows");
    sw::Graph g{"held"};
    std::vector<sw::Windowed<sw::AllKeys, std::size_t>> out;
    const auto time = [](const Reading& r) { return r.time; };
    // Sessions: a gap of 10 after every 1000th item closes one.
    auto readings =
        g.source("readings",
                 sw::generate<Reading>(
                     kMany,
                     [](std::uint64_t i) {
                       return Reading{0, static_cast<std::int64_t>(i + (i / 1000) * 10), 0};
                     }))
            .with_watermarks("time", time);
    auto windows = sessions ? readings.window_all("held", sw::session(5), time, count_items)
                            : readings.window_all("held", sw::tumbling(1010), time, count_items);
    windows.sink("out", sw::collect(out));
    const sw::RunReport report = sw::run(g, {.threads = 1});
    REQUIRE(out.size() == kMany / 1000);
    for (const auto& w : out) CHECK(w.value == 1000);
    const sw::NodeReport& held = report.node("held");
    CHECK(held.state_bytes >= 1000 * sizeof(Reading));
    CHECK(held.state_bytes < 8 * 1000 * sizeof(Reading));
    CHECK(held.state_entries <= 4);
  }
}

TEST_CASE("late items are dropped and counted, or passed to the late stream", "[window]") {
  // A source that, after the watermark passed 5000, sends items of time 10 again.
  auto item = [](std::uint64_t i) {
    if (i >= 6000 && i < 6010) return Reading{1, 10, 1};  // late: window [0, 1000) closed
    return Reading{1, static_cast<std::int64_t>(i), 1};
  };
  for (const bool side : {false, true}) {
    sw::Graph g{"late"};
    std::vector<sw::Windowed<std::uint32_t, std::uint64_t>> out;
    std::vector<Reading> late;
    auto windows = g.source("readings", sw::generate<Reading>(8000, item),
                            {.parallelism = 1, .batch_size = 100})
                       .with_watermarks("time", [](const Reading& r) { return r.time; })
                       .key_by([](const Reading& r) { return r.sensor; })
                       .window("counts", sw::tumbling(1000),
                               [](const Reading& r) { return r.time; }, sw::agg::count(),
                               {.late = side ? sw::LateData::side_output : sw::LateData::drop,
                                .node = {.parallelism = 1}});
    windows.sink("out", sw::collect(out), {.parallelism = 1});
    if (side) windows.late_items().sink("late", sw::collect(late), {.parallelism = 1});
    // The window ends the source's compiled chain: its late items leave the compiled loop.
    const sw::Plan plan = sw::make_plan(g, {});
    REQUIRE(plan.compiled.size() == 1);
    CHECK(plan.compiled[0].size() == 3);
    const sw::RunReport report = sw::run(g, {.threads = 2});
    CHECK(report.node("counts").late_dropped == 10);
    REQUIRE(out.size() == 8);
    std::sort(out.begin(), out.end());
    CHECK(out[0].value == 1000);  // the late ones did not count
    CHECK(out[6].value == 990);   // window [6000, 7000) lost the ten replaced items
    if (side) CHECK(late == std::vector<Reading>(10, Reading{1, 10, 1}));
  }
}

TEST_CASE("within the allowed lateness a late item fires its window again", "[window]") {
  auto item = [](std::uint64_t i) {
    if (i == 1500) return Reading{1, 10, 1};  // window [0, 1000) fired at watermark 999
    return Reading{1, static_cast<std::int64_t>(i), 1};
  };
  sw::Graph g{"lateness"};
  std::vector<sw::Windowed<std::uint32_t, std::uint64_t>> out;
  g.source("readings", sw::generate<Reading>(3000, item), {.parallelism = 1, .batch_size = 100})
      .with_watermarks("time", [](const Reading& r) { return r.time; })
      .key_by([](const Reading& r) { return r.sensor; })
      .window("counts", sw::tumbling(1000), [](const Reading& r) { return r.time; },
              sw::agg::count(), {.allowed_lateness = 1000, .node = {.parallelism = 1}})
      .sink("out", sw::collect(out), {.parallelism = 1});
  const sw::RunReport report = sw::run(g, {.threads = 2});
  CHECK(report.node("counts").late_dropped == 0);
  std::vector<std::pair<std::int64_t, std::uint64_t>> fired;
  for (const auto& w : out) fired.emplace_back(w.start, w.value);
  CHECK(fired == std::vector<std::pair<std::int64_t, std::uint64_t>>{
                     {0, 1000}, {0, 1001}, {1000, 999}, {2000, 1000}});
}

TEST_CASE("a bad window is an error naming the node", "[window]") {
  sw::Graph g{"bad"};
  g.source("readings", sw::generate<Reading>(10, reading))
      .key_by([](const Reading& r) { return r.sensor; })
      .window(
          "w", sw::sliding(100, 0), [](const Reading& r) { return r.time; }, sw::agg::count())
      .sink("out", sw::discard());
  CHECK_THROWS_WITH(sw::run(g, {.threads = 1}),
                    Catch::Contains("node 'w'") && Catch::Contains("slide must be positive"));
}

TEST_CASE("event times at the ends of int64 are an error of the item, not a wrapped window",
          "[window]") {
  sw::test::Watchdog watchdog("extreme event times");
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  const std::vector<Reading> items{{1, 5, 1}, {1, kMin, 2}, {1, kMax, 4}, {1, 7, 8}};
  for (const auto& assigner :
       {sw::WindowAssigner{sw::tumbling(60000)}, sw::WindowAssigner{sw::sliding(60000, 1000)}}) {
    // stop: the run fails, naming the time.
    sw::Graph g{"extreme"};
    g.source("readings", sw::from(items))
        .key_by([](const Reading& r) { return r.sensor; })
        .window(
            "w", assigner, [](const Reading& r) { return r.time; },
            sw::agg::sum<Reading>([](const Reading& r) { return r.value; }))
        .sink("out", sw::discard());
    CHECK_THROWS_WITH(sw::run(g, {.threads = 1}),
                      Catch::Contains("node 'w'") &&
                          Catch::Contains("event time -9223372036854775808 has a window"));
    // skip: the two extreme items are skipped; the others are summed in their windows. The
    // window ends the map's compiled chain, and skips in it.
    sw::Graph h{"extreme-skip"};
    std::vector<sw::Windowed<std::uint32_t, std::int64_t>> out;
    h.source("readings", sw::from(items))
        .map("same", [](Reading r) { return r; })
        .key_by([](const Reading& r) { return r.sensor; })
        .window("w", assigner, [](const Reading& r) { return r.time; },
                sw::agg::sum<Reading>([](const Reading& r) { return r.value; }),
                {.node = {.errors = sw::ErrorPolicy::skip()}})
        .sink("out", sw::collect(out), {.parallelism = 1});
    h.default_parallelism(1);
    REQUIRE(sw::make_plan(h, {}).compiled.size() == 1);
    const sw::RunReport report = sw::run(h, {.threads = 1});
    CHECK(report.node("w").errors_skipped == 2);
    CHECK(report.node("w").items_in == 4);
    REQUIRE_FALSE(out.empty());
    for (const auto& w : out) {
      CHECK(w.start <= 5);
      CHECK(w.end > 7);
      CHECK(w.value == 9);
    }
  }
}
