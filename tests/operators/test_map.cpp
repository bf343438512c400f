#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>
#include <string>

#include "support/helpers.hpp"
#include "support/tracked.hpp"

TEST_CASE("map applies f to every item, in order at parallelism 1") {
  sw::Graph g{"map"};
  std::vector<std::string> out;
  g.source("src", sw::from({1, 2, 3}))
      .map("show", [](int v) { return std::to_string(v * 10); })
      .sink("out", sw::collect(out));
  const sw::RunReport r = sw::run(g, {.threads = 1});
  CHECK(out == std::vector<std::string>{"10", "20", "30"});
  CHECK(r.node("show").items_in == 3);
  CHECK(r.node("show").items_out == 3);
}

TEST_CASE("map over parallel instances covers every item exactly once") {
  sw::Graph g{"map-par"};
  std::vector<int> out;
  g.source("src", sw::from(sw::test::iota(1000)), {.parallelism = 3})
      .map("inc", [](int v) { return v + 1; }, {.parallelism = 3})
      .sink("out", sw::collect(out), {.parallelism = 2});
  sw::run(g, {.threads = 2});
  CHECK(sw::test::sorted(out) == sw::test::iota(1000, 1));
}

TEST_CASE("map moves items through a fused chain without copying") {
  sw::Graph g{"map-move"};
  std::uint64_t total = 0;
  g.source("src", sw::generate<sw::test::Tracked>(
                      5000, [](std::uint64_t i) { return sw::test::Tracked{i}; }))
      .map("id", [](sw::test::Tracked t) { return t; })
      .map("id2",
           [](sw::test::Tracked t) {
             t.value += 1;
             return t;
           })
      .sink("n", sw::count(total));
  sw::test::Tracked::copies = 0;
  sw::run(g, {.threads = 1});
  CHECK(total == 5000);
  CHECK(sw::test::Tracked::copies == 0);
}
