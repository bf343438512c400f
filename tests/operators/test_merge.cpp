#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include "support/helpers.hpp"

TEST_CASE("merge delivers the items of every input") {
  sw::Graph g{"merge"};
  std::vector<int> out;
  auto a = g.source("a", sw::from(sw::test::iota(100)));
  auto b = g.source("b", sw::from(sw::test::iota(50, 100)), {.parallelism = 2});
  auto c = g.source("c", sw::from(sw::test::iota(25, 150)));
  a.merge(b, c).sink("out", sw::collect(out));
  const sw::RunReport r = sw::run(g, {.threads = 2});
  CHECK(sw::test::sorted(out) == sw::test::iota(175));
  CHECK(r.node("merge").items_in == 175);
  CHECK(r.node("merge").items_out == 175);
}

TEST_CASE("merging a stream with a transformed copy of itself") {
  sw::Graph g{"self-merge"};
  std::vector<int> out;
  auto a = g.source("a", sw::from({1, 2, 3}));
  a.merge_as("both", {.parallelism = 1}, a.map("neg", [](int v) {
     return -v;
   })).sink("out", sw::collect(out));
  sw::run(g, {.threads = 2});
  CHECK(sw::test::sorted(out) == std::vector<int>{-3, -2, -1, 1, 2, 3});
}
