#include <catch2/catch.hpp>
#include <list>
#include <streamweave/streamweave.hpp>
#include <string>

#include "support/helpers.hpp"

TEST_CASE("from a vector, a list and an initializer list, in order") {
  sw::Graph g{"from"};
  std::vector<int> a, b, c;
  std::list<int> list{7, 8, 9};
  g.source("v", sw::from(std::vector<int>{1, 2, 3})).sink("a", sw::collect(a), {.parallelism = 1});
  g.source("l", sw::from(list)).sink("b", sw::collect(b), {.parallelism = 1});
  g.source("i", sw::from({4, 5})).sink("c", sw::collect(c), {.parallelism = 1});
  g.default_parallelism(1);
  sw::run(g, {.threads = 2});
  CHECK(a == std::vector<int>{1, 2, 3});
  CHECK(b == std::vector<int>{7, 8, 9});
  CHECK(c == std::vector<int>{4, 5});
}

TEST_CASE("a graph with a from source runs twice with the same result") {
  sw::Graph g{"twice"};
  std::uint64_t n = 0;
  g.source("v", sw::from(sw::test::iota(10000)), {.parallelism = 3}).sink("n", sw::count(n));
  sw::run(g, {.threads = 2});
  sw::run(g, {.threads = 2});
  CHECK(n == 20000);
}
