#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include "support/helpers.hpp"

TEST_CASE("filter keeps exactly the items the predicate accepts") {
  sw::Graph g{"filter"};
  std::vector<int> out;
  g.source("src", sw::from(sw::test::iota(100)))
      .filter("odd", [](int v) { return v % 2 == 1; })
      .sink("out", sw::collect(out));
  const sw::RunReport r = sw::run(g, {.threads = 2});
  std::vector<int> expected;
  for (int i = 1; i < 100; i += 2) expected.push_back(i);
  CHECK(sw::test::sorted(out) == expected);
  CHECK(r.node("odd").items_in == 100);
  CHECK(r.node("odd").items_out == 50);
}

TEST_CASE("the q2-style filter auction % 123 == 0") {
  sw::Graph g{"q2"};
  std::vector<std::uint64_t> out;
  g.source("src", sw::generate<std::uint64_t>(1000, [](std::uint64_t i) { return i; }),
           {.parallelism = 2})
      .filter("q2", [](std::uint64_t a) { return a % 123 == 0; })
      .sink("out", sw::collect(out), {.parallelism = 1});
  sw::run(g, {.threads = 2});
  CHECK(sw::test::sorted(out) ==
        std::vector<std::uint64_t>{0, 123, 246, 369, 492, 615, 738, 861, 984});
}
