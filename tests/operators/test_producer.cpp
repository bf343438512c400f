#include <catch2/catch.hpp>
#include <optional>
#include <streamweave/streamweave.hpp>

#include "support/helpers.hpp"

namespace {

// Counts from `begin` to `end`; split(i, n) takes every n-th number starting at i.
struct Counter {
  int next_value = 0;
  int end = 0;
  int step = 1;
  std::optional<int> next() {
    if (next_value >= end) return std::nullopt;
    const int v = next_value;
    next_value += step;
    return v;
  }
  Counter split(unsigned i, unsigned n) const {
    return Counter{next_value + static_cast<int>(i) * step, end, step * static_cast<int>(n)};
  }
};

struct Unsplittable {
  int left = 3;
  std::optional<int> next() { return left > 0 ? std::optional<int>(left--) : std::nullopt; }
};

}  // namespace

TEST_CASE("a class-based producer with split(i, n) runs in parallel, each item once") {
  sw::Graph g{"producer"};
  std::vector<int> out;
  g.source("count", sw::producer(Counter{0, 1000}), {.parallelism = 3})
      .sink("out", sw::collect(out));
  sw::run(g, {.threads = 2});
  CHECK(sw::test::sorted(out) == sw::test::iota(1000));
}

TEST_CASE("a producer without split runs at parallelism 1 and refuses more") {
  sw::Graph g{"single"};
  std::vector<int> out;
  // The sink at parallelism 1 too: by default it would take the run's 2 threads behind a
  // rebalance edge, which promises no order between its instances.
  g.source("u", sw::producer(Unsplittable{}), {.parallelism = 1})
      .sink("out", sw::collect(out), {.parallelism = 1});
  sw::run(g, {.threads = 2});
  CHECK(out == std::vector<int>{3, 2, 1});

  sw::Graph bad{"bad"};
  bad.source("u", sw::producer(Unsplittable{}), {.parallelism = 2}).sink("out", sw::discard());
  CHECK_THROWS_WITH(sw::run(bad, {.threads = 2}),
                    Catch::Contains("node 'u'") && Catch::Contains("split"));
}
