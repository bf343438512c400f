// The run report: a node's report sums its instances and ranks, and crosses ranks whole.
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

namespace {

sw::NodeReport sample(std::uint64_t base) {
  sw::NodeReport n;
  n.name = "count";
  n.op = "reduce";
  n.parallelism = 3;
  n.chain = 2;
  std::uint64_t v = base;
  // Every counter a different value.
  n.items_in = v++, n.items_out = v++, n.batches_in = v++, n.batches_out = v++;
  n.errors_skipped = v++, n.retries = v++, n.dead_lettered = v++, n.late_dropped = v++;
  n.state_entries = v++, n.state_bytes = v++;
  n.busy_seconds = 1.5;
  n.blocked_seconds = 0.25;
  n.ranks = {0, 1, 0};
  n.latency.record(1000);
  n.first_errors = {"item 3: bad"};
  return n;
}

std::vector<std::uint64_t> counters_of(const sw::NodeReport& n) {
  std::vector<std::uint64_t> values;
  sw::for_each_counter(n, [&](const char*, std::uint64_t v) { values.push_back(v); });
  return values;
}

}  // namespace

TEST_CASE("a node report crosses ranks with every counter and field") {
  const sw::NodeReport n = sample(100);
  const sw::NodeReport back = sw::decode<sw::NodeReport>(sw::encode(n));
  CHECK(counters_of(back) == counters_of(n));
  CHECK(back.name == n.name);
  CHECK(back.op == n.op);
  CHECK(back.parallelism == 3);
  CHECK(back.chain == 2);
  CHECK(back.busy_seconds == 1.5);
  CHECK(back.blocked_seconds == 0.25);
  CHECK(back.ranks == n.ranks);
  CHECK(back.latency.count() == 1);
  CHECK(back.first_errors == n.first_errors);
  // Inside a rank's report too (what the ranks gather at the end of a run).
  sw::RankReport rank;
  rank.nodes = {n, sample(7)};
  const sw::RankReport rank_back = sw::decode<sw::RankReport>(sw::encode(rank));
  REQUIRE(rank_back.nodes.size() == 2);
  CHECK(counters_of(rank_back.nodes[1]) == counters_of(sample(7)));
}

TEST_CASE("merging a node's share from another rank adds counters and times") {
  sw::NodeReport a = sample(1);
  a += sample(1000);
  const std::vector<std::uint64_t> one = counters_of(sample(1));
  const std::vector<std::uint64_t> other = counters_of(sample(1000));
  const std::vector<std::uint64_t> merged = counters_of(a);
  for (std::size_t i = 0; i < merged.size(); ++i) CHECK(merged[i] == one[i] + other[i]);
  CHECK(a.busy_seconds == 3.0);
  CHECK(a.latency.count() == 2);
  CHECK(a.first_errors.size() == 2);
}

TEST_CASE("a run's node report sums what its instances counted") {
  sw::Graph g{"sums"};
  std::uint64_t n = 0;
  g.source("s", sw::generate<int>(10000, [](std::uint64_t i) { return static_cast<int>(i); }),
           {.parallelism = 2, .batch_size = 100})
      .filter("even", [](int v) { return v % 2 == 0; }, {.parallelism = 2})
      .sink("n", sw::count(n), {.parallelism = 1});
  const sw::RunReport r = sw::run(g, {.threads = 2});
  CHECK(r.node("s").items_out == 10000);
  CHECK(r.node("even").items_in == 10000);
  CHECK(r.node("even").items_out == 5000);
  CHECK(r.node("n").items_in == 5000);
  CHECK(n == 5000);
}
