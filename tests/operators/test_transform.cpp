#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include "support/helpers.hpp"

namespace {

// Emits the running maximum whenever it grows, and the count of items at the end.
struct RunningMax {
  using output_type = long;
  long max = -1;
  long n = 0;
  void process(const int& v, sw::Emitter<long>& out) {
    ++n;
    if (v > max) {
      max = v;
      out(max);
    }
  }
  void finish(sw::Emitter<long>& out) { out(-n); }
};

}  // namespace

TEST_CASE("a stateful class transformer keeps state per instance and emits at finish") {
  sw::Graph g{"transform"};
  std::vector<long> out;
  g.source("src", sw::from({3, 1, 4, 1, 5, 9, 2, 6}))
      .transform("max", RunningMax{})
      .sink("out", sw::collect(out));
  sw::run(g, {.threads = 1});
  CHECK(out == std::vector<long>{3, 4, 5, 9, -8});
}

TEST_CASE("each parallel instance has its own transformer state") {
  sw::Graph g{"transform-par"};
  std::vector<long> out;
  g.source("src", sw::from(sw::test::iota(100)), {.parallelism = 2})
      .transform("max", RunningMax{})
      .sink("out", sw::collect(out), {.parallelism = 1});
  sw::run(g, {.threads = 2});
  long finals = 0;
  for (long v : out) finals += v < 0 ? -v : 0;
  CHECK(finals == 100);  // two instances' counts add up to every item
  CHECK(std::count_if(out.begin(), out.end(), [](long v) { return v < 0; }) == 2);
}
