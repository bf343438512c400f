#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include "support/helpers.hpp"

TEST_CASE("collect appends every item, at parallelism 1 in stream order") {
  sw::Graph g{"collect"};
  std::vector<int> ordered{-1};
  std::vector<int> any;
  auto s = g.source("s", sw::from(sw::test::iota(5000)), {.parallelism = 1});
  s.sink("ordered", sw::collect(ordered), {.parallelism = 1});
  s.sink("any", sw::collect(any), {.parallelism = 4});
  sw::run(g, {.threads = 2});
  std::vector<int> expected{-1};
  for (int v : sw::test::iota(5000)) expected.push_back(v);
  CHECK(ordered == expected);
  CHECK(sw::test::sorted(any) == sw::test::iota(5000));
}
