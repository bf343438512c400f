#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include "support/helpers.hpp"

TEST_CASE("generate produces f(0..n-1), parallel instances split the range exactly") {
  for (unsigned p : {1u, 2u, 3u, 7u}) {
    sw::Graph g{"gen"};
    std::vector<std::uint64_t> out;
    g.source("g", sw::generate<std::uint64_t>(1001, [](std::uint64_t i) { return i * i; }),
             {.parallelism = p})
        .sink("out", sw::collect(out));
    const sw::RunReport r = sw::run(g, {.threads = 2});
    std::vector<std::uint64_t> expected;
    for (std::uint64_t i = 0; i < 1001; ++i) expected.push_back(i * i);
    CHECK(sw::test::sorted(out) == expected);
    CHECK(r.events == 1001);
  }
}

TEST_CASE("a generator that throws stops the graph, naming the source and index") {
  sw::Graph g{"gen-throw"};
  g.source("g",
           sw::generate<int>(100,
                             [](std::uint64_t i) {
                               if (i == 42) throw std::runtime_error("no 42");
                               return static_cast<int>(i);
                             }),
           {.parallelism = 1})
      .sink("out", sw::discard());
  try {
    sw::run(g, {.threads = 1});
    FAIL("run() did not throw");
  } catch (const sw::NodeError& e) {
    CHECK(e.node() == "g");
    CHECK(e.position() == 42);
    CHECK(e.message() == "no 42");
  }
}
