#include <atomic>
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include "support/helpers.hpp"
#include "support/tracked.hpp"

TEST_CASE("inspect sees every item and passes it on unchanged, without copying") {
  sw::Graph g{"inspect"};
  std::atomic<std::uint64_t> seen{0};
  std::atomic<std::uint64_t> sum{0};
  std::uint64_t total = 0;
  auto src = g.source("src", sw::generate<sw::test::Tracked>(
                                 1000, [](std::uint64_t i) { return sw::test::Tracked{i}; }));
  src.inspect("look",
              [&](const sw::test::Tracked& t) {
                seen.fetch_add(1);
                sum.fetch_add(t.value);
              })
      .sink("n", sw::count(total));
  sw::test::Tracked::copies = 0;
  sw::run(g, {.threads = 2});
  CHECK(seen == 1000);
  CHECK(sum == 999 * 1000 / 2);
  CHECK(total == 1000);
  CHECK(sw::test::Tracked::copies == 0);
}
