#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

TEST_CASE("discard drops every item and counts it in the report") {
  sw::Graph g{"discard"};
  g.source("s", sw::generate<int>(777, [](std::uint64_t i) { return static_cast<int>(i); }))
      .sink("drop", sw::discard());
  const sw::RunReport r = sw::run(g, {.threads = 2});
  CHECK(r.node("drop").items_in == 777);
  CHECK(r.events == 777);
}
