#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>
#include <string>

TEST_CASE("count adds the number of items, over all instances, for any item type") {
  sw::Graph g{"count"};
  std::uint64_t ints = 5;  // count adds to what is there
  std::uint64_t strings = 0;
  g.source("i", sw::generate<int>(12345, [](std::uint64_t i) { return static_cast<int>(i); }),
           {.parallelism = 3})
      .sink("ints", sw::count(ints), {.parallelism = 2});
  g.source("s", sw::from({std::string("x"), std::string("y")})).sink("strings", sw::count(strings));
  sw::run(g, {.threads = 2});
  CHECK(ints == 12350);
  CHECK(strings == 2);
}
