#include <atomic>
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

TEST_CASE("for_each calls f once per item") {
  sw::Graph g{"for_each"};
  std::atomic<long> sum{0};
  std::atomic<long> calls{0};
  g.source("s", sw::generate<long>(1000, [](std::uint64_t i) { return static_cast<long>(i); }),
           {.parallelism = 2})
      .sink("add", sw::for_each([&](long v) {
              sum.fetch_add(v);
              calls.fetch_add(1);
            }),
            {.parallelism = 3});
  const sw::RunReport r = sw::run(g, {.threads = 2});
  CHECK(sum == 999 * 1000 / 2);
  CHECK(calls == 1000);
  CHECK(r.node("add").items_in == 1000);
}
