// Typed chain fusion (engine/chain.hpp): which runs of nodes the plan compiles into one loop,
// and that a compiled run computes, counts and fails exactly as its nodes do one by one.
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <streamweave/streamweave.hpp>
#include <string>
#include <vector>

#include "../support/watchdog.hpp"

namespace {

struct Event {
  std::uint64_t id;
  std::int64_t price;
};

Event make(std::uint64_t i) {
  return Event{i, static_cast<std::int64_t>((i * 7919) % 1000)};
}

// A chain with every kind of step: generate -> map -> flat_map -> inspect -> filter -> key_by
// -> reduce. `chain = false` on every node keeps them apart: the reference run. `fail_at`
// names the node that throws on item id `fail_id` (every `fail_every` ids from it, when set),
// under the policy `errors`.
struct Knobs {
  unsigned parallelism = 1;
  std::size_t batch_size = 1024;
  bool chain = true;
  std::string fail_at;
  std::uint64_t fail_id = 0;
  std::uint64_t fail_every = 0;
  sw::ErrorPolicy errors = sw::ErrorPolicy::stop();
};

using Sums = std::map<std::uint64_t, std::int64_t>;

void check_fail(const Knobs& k, const std::string& node, const Event& e) {
  if (k.fail_at != node) return;
  const bool fails = k.fail_every == 0
                         ? e.id == k.fail_id
                         : e.id >= k.fail_id && (e.id - k.fail_id) % k.fail_every == 0;
  if (fails) throw std::runtime_error("boom at " + node + " on " + std::to_string(e.id));
}

sw::RunReport run_chain(std::uint64_t n, const Knobs& k, Sums& sums, unsigned threads) {
  sw::Graph g{"chain"};
  g.default_parallelism(k.parallelism);
  const sw::NodeOptions o{.batch_size = k.batch_size, .errors = k.errors, .chain = k.chain};
  const sw::NodeOptions source{.batch_size = k.batch_size, .chain = k.chain};
  std::vector<sw::KeyValue<std::uint64_t, std::int64_t>> out;
  g.source("events", sw::generate<Event>(n, make), source)
      .map(
          "double",
          [k](Event e) {
            check_fail(k, "double", e);
            e.price *= 2;
            return e;
          },
          o)
      .flat_map(
          "split",
          [k](const Event& e) {
            check_fail(k, "split", e);
            return std::vector<Event>(e.id % 3, e);  // 0, 1 or 2 copies
          },
          o)
      .inspect(
          "look", [k](const Event& e) { check_fail(k, "look", e); }, o)
      .filter(
          "cheap",
          [k](const Event& e) {
            check_fail(k, "cheap", e);
            return e.price < 1500;
          },
          o)
      .key_by([](const Event& e) { return e.id % 17; })
      .reduce("sum",
              [k](std::int64_t acc, const Event& e) {
                check_fail(k, "sum", e);
                return acc + e.price;
              },
              {.emit = sw::Emit::at_end, .node = o})
      .sink("out", sw::collect(out), {.chain = k.chain});
  sw::RunReport report = sw::run(g, {.threads = threads});
  for (const auto& kv : out) sums[kv.key] += kv.value;
  return report;
}

// The failure of a run of 6000 events with knobs `k`, which must fail.
sw::NodeError failure_of(const Knobs& k) {
  Sums sums;
  try {
    (void)run_chain(6000, k, sums, 2);
  } catch (const sw::NodeError& e) {
    return e;
  }
  FAIL("the run did not fail");
  throw std::logic_error("unreachable");
}

Sums expected_sums(std::uint64_t n) {
  Sums sums;
  for (std::uint64_t i = 0; i < n; ++i) {
    const Event e = make(i);
    const std::int64_t price = e.price * 2;
    if (price < 1500) sums[i % 17] += price * static_cast<std::int64_t>(i % 3);
  }
  return sums;
}

const std::vector<std::string> kNodes{"events", "double", "split", "look", "cheap", "sum", "out"};
// The nodes that run a user function (each may be told to fail).
const std::vector<std::string> kFailing{"double", "split", "look", "cheap", "sum"};

}  // namespace

TEST_CASE(
    "A chain of stateless nodes between a generator and a keyed sum compiles into one group") {
  sw::Graph g{"P"};
  g.default_parallelism(1);
  std::vector<sw::KeyValue<std::uint64_t, std::int64_t>> out;
  g.source("events", sw::generate<Event>(10, make))
      .map("double", [](Event e) { return e; })
      .filter("cheap", [](const Event&) { return true; })
      .key_by([](const Event& e) { return e.id; })
      .reduce("sum", [](std::int64_t acc, const Event& e) { return acc + e.price; })
      .sink("out", sw::collect(out));
  const sw::Plan plan = sw::make_plan(g, {});
  REQUIRE(plan.compiled.size() == 1);
  CHECK(plan.compiled[0] == std::vector<sw::NodeId>{0, 1, 2, 3});
  CHECK(plan.nodes[4].compiled == sw::PlanNode::kNotCompiled);  // the sink runs its own instance
  for (std::size_t e = 0; e < g.edges().size(); ++e) {
    CHECK(plan.edges[e].compiled == (g.edges()[e].to != 4));
  }
  CHECK_THAT(sw::plan_dot(g, plan), Catch::Contains("(compiled)"));
}

TEST_CASE("Fan-out, retry, dead letters or a parallelism change keeps nodes out of a group") {
  std::vector<int> out;
  SECTION("fan-out after the map: the steps after it compile without it") {
    sw::Graph g{"fan-out"};
    g.default_parallelism(1);
    auto mapped = g.source("src", sw::generate<int>(10, [](std::uint64_t i) { return int(i); }))
                      .map("m", [](int v) { return v + 1; });
    mapped.sink("a", sw::collect(out));
    mapped.filter("f", [](int v) { return v > 0; })
        .map("g", [](int v) { return v; })
        .sink("b", sw::collect(out));
    const sw::Plan plan = sw::make_plan(g, {});
    REQUIRE(plan.compiled.size() == 2);
    CHECK(plan.compiled[0] == std::vector<sw::NodeId>{0, 1});
    CHECK(plan.compiled[1] == std::vector<sw::NodeId>{3, 4});
  }
  SECTION("skip on the filter: it compiles with the rest") {
    sw::Graph g{"skip"};
    g.default_parallelism(1);
    g.source("src", sw::generate<int>(10, [](std::uint64_t i) { return int(i); }))
        .map("m", [](int v) { return v + 1; })
        .filter("f", [](int v) { return v > 0; }, {.errors = sw::ErrorPolicy::skip()})
        .map("g", [](int v) { return v; })
        .map("h", [](int v) { return v; })
        .sink("out", sw::collect(out));
    const sw::Plan plan = sw::make_plan(g, {});
    REQUIRE(plan.compiled.size() == 1);
    CHECK(plan.compiled[0] == std::vector<sw::NodeId>{0, 1, 2, 3, 4});
  }
  SECTION(
      "retry or dead letters on the filter: it keeps its own instance, the steps around it "
      "compile") {
    const bool retry = GENERATE(true, false);
    sw::Graph g{"retry"};
    g.default_parallelism(1);
    auto kept =
        g.source("src", sw::generate<int>(10, [](std::uint64_t i) { return int(i); }))
            .map("m", [](int v) { return v + 1; })
            .filter("f", [](int v) { return v > 0; },
                    {.errors = retry ? sw::ErrorPolicy::retry(2) : sw::ErrorPolicy::dead_letter()});
    kept.map("g", [](int v) { return v; })
        .map("h", [](int v) { return v; })
        .sink("out", sw::collect(out));
    std::vector<sw::DeadLetter<int>> dead;
    if (!retry) kept.dead_letters().sink("dead", sw::collect(dead));
    const sw::Plan plan = sw::make_plan(g, {});
    REQUIRE(plan.compiled.size() == 2);
    CHECK(plan.compiled[0] == std::vector<sw::NodeId>{3, 4});
    CHECK(plan.compiled[1] == std::vector<sw::NodeId>{0, 1});
    CHECK(plan.nodes[2].compiled == sw::PlanNode::kNotCompiled);
  }
  SECTION("a parallelism change between two maps: no group crosses it") {
    sw::Graph g{"rescale"};
    g.source("src", sw::generate<int>(10, [](std::uint64_t i) { return int(i); }),
             {.parallelism = 2})
        .map("m", [](int v) { return v + 1; }, {.parallelism = 2})
        .map("n", [](int v) { return v; }, {.parallelism = 1})
        .sink("out", sw::collect(out), {.parallelism = 1});
    const sw::Plan plan = sw::make_plan(g, {});
    REQUIRE(plan.compiled.size() == 1);
    CHECK(plan.compiled[0] == std::vector<sw::NodeId>{0, 1});
  }
  SECTION("parallelism 2 after a single source: the maps compile after the rebalance") {
    sw::Graph g{"rebalanced"};
    g.source("src", sw::generate<int>(10, [](std::uint64_t i) { return int(i); }),
             {.parallelism = 1})
        .map("m", [](int v) { return v + 1; }, {.parallelism = 2})
        .map("n", [](int v) { return v; }, {.parallelism = 2})
        .sink("out", sw::collect(out), {.parallelism = 1});
    const sw::Plan plan = sw::make_plan(g, {});
    REQUIRE(plan.compiled.size() == 1);
    CHECK(plan.compiled[0] == std::vector<sw::NodeId>{1, 2});
  }
}

TEST_CASE("A compiled chain computes and counts what its nodes do one by one") {
  sw::test::Watchdog watchdog("compiled chain against separate nodes", std::chrono::seconds(120));
  std::mt19937 random(Catch::rngSeed());
  for (int round = 0; round < 6; ++round) {
    const std::uint64_t n = 1 + random() % 30000;
    Knobs compiled;  // not designated: g++ 12 warns of the members it leaves out
    compiled.parallelism = 1 + static_cast<unsigned>(random() % 3);
    compiled.batch_size = std::size_t{1} << (random() % 12);
    Knobs apart = compiled;
    apart.chain = false;
    const unsigned threads = 1 + static_cast<unsigned>(random() % 3);
    CAPTURE(round, n, compiled.parallelism, compiled.batch_size, threads);
    Sums fused_sums;
    Sums apart_sums;
    const sw::RunReport fused = run_chain(n, compiled, fused_sums, threads);
    const sw::RunReport separate = run_chain(n, apart, apart_sums, threads);
    CHECK(fused_sums == expected_sums(n));
    CHECK(apart_sums == expected_sums(n));
    for (const std::string& node : kNodes) {
      CAPTURE(node);
      CHECK(fused.node(node).items_in == separate.node(node).items_in);
      CHECK(fused.node(node).items_out == separate.node(node).items_out);
    }
    CHECK(fused.node("double").items_in == n);
    CHECK(fused.events == n);
  }
}

TEST_CASE("A failure in a compiled chain names its node and the item's position in its input") {
  sw::test::Watchdog watchdog("compiled chain failures", std::chrono::seconds(120));
  // The first item from `from` on that reaches `node`.
  auto reaching = [](const std::string& node, std::uint64_t from) {
    for (std::uint64_t id = from;; ++id) {
      const bool split = id % 3 != 0;
      const bool cheap = make(id).price * 2 < 1500;
      if (node == "double" || node == "split" || ((node == "look" || node == "cheap") && split) ||
          (node == "sum" && split && cheap)) {
        return id;
      }
    }
  };
  for (const std::string& node : kFailing) {
    for (const std::uint64_t from : {0, 2000, 4001}) {
      const std::uint64_t id = reaching(node, from);
      CAPTURE(node, id);
      std::vector<std::uint64_t> positions;
      for (bool chain : {true, false}) {
        const sw::NodeError e = failure_of(
            {.parallelism = 1, .batch_size = 256, .chain = chain, .fail_at = node, .fail_id = id});
        CHECK(e.node() == node);
        CHECK(e.message() == "boom at " + node + " on " + std::to_string(id));
        positions.push_back(e.position());
      }
      // Compiled, the position is the same as where the node runs on its own.
      REQUIRE(positions.size() == 2);
      CHECK(positions[0] == positions[1]);
      if (node == "double") CHECK(positions[0] == id);
    }
  }
}

TEST_CASE("Under skip, a compiled chain skips, counts and names what its nodes do one by one") {
  sw::test::Watchdog watchdog("compiled chain under skip", std::chrono::seconds(120));
  std::mt19937 random(Catch::rngSeed());
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t n = 1000 + random() % 20000;
    Knobs compiled{.parallelism = 1,
                   .batch_size = std::size_t{1} << (random() % 12),
                   .chain = true,
                   .fail_at = kFailing[random() % kFailing.size()],
                   .fail_id = random() % 50,
                   .fail_every = 1 + random() % 100,
                   .errors = sw::ErrorPolicy::skip()};
    // Some of the failing ids reach each node: not all of them are ids split drops (id % 3 == 0).
    if (compiled.fail_every % 3 == 0) ++compiled.fail_every;
    Knobs apart = compiled;
    apart.chain = false;
    CAPTURE(round, n, compiled.batch_size, compiled.fail_at, compiled.fail_id, compiled.fail_every);
    Sums fused_sums;
    Sums apart_sums;
    const sw::RunReport fused = run_chain(n, compiled, fused_sums, 2);
    const sw::RunReport separate = run_chain(n, apart, apart_sums, 2);
    CHECK(fused_sums == apart_sums);
    for (const std::string& node : kNodes) {
      CAPTURE(node);
      CHECK(fused.node(node).items_in == separate.node(node).items_in);
      CHECK(fused.node(node).items_out == separate.node(node).items_out);
      CHECK(fused.node(node).errors_skipped == separate.node(node).errors_skipped);
      CHECK(fused.node(node).first_errors == separate.node(node).first_errors);
    }
    CHECK(fused.node(compiled.fail_at).errors_skipped > 0);
    REQUIRE(!fused.node(compiled.fail_at).first_errors.empty());
    CHECK_THAT(fused.node(compiled.fail_at).first_errors.front(),
               Catch::Contains("boom at " + compiled.fail_at));
  }
}

TEST_CASE("A compiled chain that skips more than the policy allows fails as its nodes do") {
  sw::test::Watchdog watchdog("compiled chain over the skip limit", std::chrono::seconds(120));
  for (const std::string& node : kFailing) {
    CAPTURE(node);
    std::vector<std::string> messages;
    std::vector<std::uint64_t> positions;
    for (bool chain : {true, false}) {
      const sw::NodeError e = failure_of({.parallelism = 1,
                                          .batch_size = 128,
                                          .chain = chain,
                                          .fail_at = node,
                                          .fail_id = 7,
                                          .fail_every = 101,
                                          .errors = sw::ErrorPolicy::skip(3)});
      CHECK(e.node() == node);
      CHECK_THAT(e.message(), Catch::Contains("more than 3 errors"));
      messages.push_back(e.message());
      positions.push_back(e.position());
    }
    REQUIRE(positions.size() == 2);
    CHECK(positions[0] == positions[1]);
    CHECK(messages[0] == messages[1]);
  }
}

TEST_CASE("A compiled step runs with everything its function captured") {
  // The step and the node's own instance each get the function: neither may be made from
  // the other after it was moved from.
  sw::Graph g{"captures"};
  g.default_parallelism(1);
  std::vector<int> table{5, 7, 11};  // not const: a lambda's copy of it moves
  std::string word(64, 'w');         // longer than a string's inline buffer
  std::vector<std::int64_t> out;
  g.source("src", sw::generate<int>(300, [](std::uint64_t i) { return int(i); }))
      .map("look_up", [table](int v) { return table.at(static_cast<std::size_t>(v) % 3) + v; })
      .filter("by_word", [word](int v) { return word.size() == 64 && v % 2 == 0; })
      .flat_map("twice", [table](int v) { return std::vector<int>(table.size() - 1, v); })
      .inspect("seen", [word](int) { REQUIRE(word.size() == 64); })
      .map("widen",
           [word](int v) { return std::int64_t{v} * static_cast<std::int64_t>(word.size()); })
      .sink("out", sw::collect(out));
  const sw::Plan plan = sw::make_plan(g, {});
  REQUIRE(plan.compiled.size() == 1);
  CHECK(plan.compiled[0].size() == 6);
  sw::run(g, {.threads = 1});
  std::vector<std::int64_t> expected;
  for (int i = 0; i < 300; ++i) {
    const int v = table[static_cast<std::size_t>(i) % 3] + i;
    if (v % 2 == 0) expected.insert(expected.end(), 2, std::int64_t{v} * 64);
  }
  CHECK(out == expected);
}
