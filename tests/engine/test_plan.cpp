// The plan: resolved settings, partitioning and which edges are fused into one task.
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

TEST_CASE("consecutive one-to-one operators with equal parallelism fuse into one chain") {
  sw::Graph g{"chain"};
  auto s = g.source("src", sw::from({1, 2, 3}));
  s.map("a", [](int v) { return v; })
      .filter("b", [](int) { return true; })
      .sink("out", sw::discard());
  const sw::Plan plan = sw::make_plan(g, {.parallelism = 2});
  REQUIRE(plan.chains.size() == 1);
  CHECK(plan.chains[0] == std::vector<sw::NodeId>{0, 1, 2, 3});
  for (const auto& e : plan.edges) CHECK(e.fused);
  CHECK(plan.nodes[0].parallelism == 2);  // the run's default parallelism
}

TEST_CASE("fan-out, merge, hash and parallelism changes break chains") {
  sw::Graph g{"breaks"};
  g.default_parallelism(2);
  auto s = g.source("src", sw::from({1, 2, 3}));
  auto a = s.map("a", [](int v) { return v; });
  a.sink("x", sw::discard());                        // fan-out from a
  auto b = a.filter("b", [](int) { return true; });  // fan-out from a
  auto k = b.key_by([](int v) { return v; }).reduce("r", [](int acc, int v) { return acc + v; });
  k.sink("y", sw::discard(), {.parallelism = 1});  // parallelism change
  auto m = s.merge(s);                             // merge: never fused
  m.sink("z", sw::discard());
  const sw::Plan plan = sw::make_plan(g, {.parallelism = 4});
  const auto& edges = g.edges();
  auto edge = [&](sw::NodeId from, sw::NodeId to) {
    for (std::size_t i = 0; i < edges.size(); ++i) {
      if (edges[i].from == from && edges[i].to == to) return plan.edges[i];
    }
    FAIL("no edge");
    return sw::PlanEdge{};
  };
  CHECK(plan.nodes[0].parallelism == 2);
  CHECK_FALSE(edge(1, 2).fused);  // a -> x (fan-out)
  CHECK_FALSE(edge(1, 3).fused);  // a -> b (fan-out)
  CHECK(edge(3, 4).partitioning == sw::Partitioning::hash);
  CHECK_FALSE(edge(3, 4).fused);
  CHECK(edge(4, 5).partitioning == sw::Partitioning::rebalance);  // 2 -> 1 instances
  CHECK_FALSE(edge(4, 5).fused);
  CHECK_FALSE(edge(0, 6).fused);  // merge input
  CHECK(edge(6, 7).fused);        // merge -> z
}

TEST_CASE("a hash edge between single instances is fused") {
  sw::Graph g{"single"};
  g.default_parallelism(1);
  auto s = g.source("src", sw::from({1, 2, 3}));
  s.key_by([](int v) { return v; })
      .reduce("r", [](int acc, int v) { return acc + v; })
      .sink("out", sw::discard());
  const sw::Plan plan = sw::make_plan(g, {});
  CHECK(plan.chains.size() == 1);
}

TEST_CASE("a hash edge into a single instance sends whole batches (rebalance)") {
  sw::Graph g{"into-one"};
  auto s = g.source("src", sw::from({1, 2, 3}), {.parallelism = 2});
  s.key_by([](int v) { return v; })
      .reduce("r", [](int acc, int v) { return acc + v; }, {.node = {.parallelism = 1}})
      .sink("out", sw::discard(), {.parallelism = 1});
  const sw::Plan plan = sw::make_plan(g, {});
  CHECK(plan.edges[0].partitioning == sw::Partitioning::rebalance);
  CHECK_FALSE(plan.edges[0].fused);
}

TEST_CASE("node settings override run options") {
  sw::Graph g{"settings"};
  auto s = g.source("src", sw::from({1}), {.parallelism = 3, .batch_size = 7});
  s.sink("out", sw::discard(), {.linger = std::chrono::microseconds(5), .channel_capacity = 9});
  const sw::Plan plan =
      sw::make_plan(g, {.parallelism = 2, .batch_size = 100, .channel_capacity = 4});
  CHECK(plan.nodes[0].parallelism == 3);
  CHECK(plan.nodes[0].batch_size == 7);
  CHECK(plan.nodes[0].channel_capacity == 4);
  CHECK(plan.nodes[1].parallelism == 2);
  CHECK(plan.nodes[1].batch_size == 100);
  CHECK(plan.nodes[1].linger == std::chrono::microseconds(5));
  CHECK(plan.nodes[1].channel_capacity == 9);
  CHECK(plan.edges[0].partitioning == sw::Partitioning::rebalance);
}

TEST_CASE("chain = false gives a node its own task") {
  sw::Graph g{"unchained"};
  auto s = g.source("src", sw::from({1, 2, 3}), {.parallelism = 1});
  s.map("a", [](int v) { return v; }, {.parallelism = 1, .chain = false})
      .sink("out", sw::discard(), {.parallelism = 1});
  const sw::Plan plan = sw::make_plan(g, {});
  CHECK(plan.chains.size() == 3);
  CHECK_FALSE(plan.edges[0].fused);
  CHECK_FALSE(plan.edges[1].fused);
}

TEST_CASE("absurd thread counts and batch sizes are GraphErrors, not bad_alloc or a hang") {
  sw::Graph g{"limits"};
  std::uint64_t n = 0;
  g.source("s", sw::generate<int>(10, [](std::uint64_t i) { return static_cast<int>(i); }))
      .sink("n", sw::count(n));
  CHECK_THROWS_WITH(sw::run(g, {.threads = sw::kMaxThreads + 1}),
                    Catch::Contains("threads is 1025; at most 1024"));
  CHECK_THROWS_AS(sw::run(g, {.threads = 100000}), sw::GraphError);
  CHECK_THROWS_WITH(sw::make_plan(g, {.parallelism = 1, .batch_size = std::size_t{1} << 32}),
                    Catch::Contains("batch size 4294967296 is more than 16777216 items"));
  CHECK_NOTHROW(sw::make_plan(g, {.parallelism = 1, .batch_size = sw::kMaxBatchSize}));
  CHECK(n == 0);
}
