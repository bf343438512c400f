#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>
#include <vector>

#include "support/helpers.hpp"

TEST_CASE("measure_latency: items pass unchanged, their age is in the report") {
  struct Stamped {
    int value;
    std::int64_t stamp_ns;
  };
  sw::Graph g{"latency"};
  std::vector<int> out;
  const std::int64_t five_ms_ago = sw::wall_clock_ns() - 5'000'000;
  g.source("numbers", sw::generate<Stamped>(10000,
                                            [five_ms_ago](std::uint64_t i) {
                                              return Stamped{static_cast<int>(i), five_ms_ago};
                                            }))
      .measure_latency("age", [](const Stamped& s) { return s.stamp_ns; })
      .map("value", [](const Stamped& s) { return s.value; })
      .sink("out", sw::collect(out), {.parallelism = 1});
  const sw::RunReport report = sw::run(g, {.threads = 2});
  CHECK(sw::test::sorted(out) == sw::test::iota(10000));
  const sw::LatencyHistogram& h = report.node("age").latency;
  CHECK(h.count() == 10000);
  CHECK(h.percentile(1) >= 4'800'000);  // at least 5 ms old, to within the buckets' 3 %
  CHECK(h.percentile(50) < 60'000'000'000);
  CHECK(report.node("value").latency.count() == 0);
  CHECK_THAT(report.summary(), Catch::Contains("latency (ms)") && Catch::Contains("p99.9"));
}

TEST_CASE("measure_latency: also item by item, under the skip policy") {
  sw::Graph g{"latency"};
  std::uint64_t n = 0;
  const std::int64_t now = sw::wall_clock_ns();
  g.source("numbers", sw::generate<std::int64_t>(100, [now](std::uint64_t) { return now; }))
      .measure_latency("age", [](std::int64_t s) { return s; }, {.errors = sw::ErrorPolicy::skip()})
      .sink("n", sw::count(n));
  const sw::RunReport report = sw::run(g, {.threads = 2});
  CHECK(n == 100);
  CHECK(report.node("age").latency.count() == 100);
  CHECK(report.node("age").latency.negative == 0);
}
