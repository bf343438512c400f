// Node counters are declared once and reached by reflection: listing, adding.
#include <catch2/catch.hpp>
#include <streamweave/engine/counters.hpp>
#include <string>
#include <vector>

TEST_CASE("for_each_counter lists every counter, in order, with its value") {
  sw::NodeCounters c;
  c.items_in = 1;
  c.items_out = 2;
  c.state_bytes = 10;
  std::vector<std::string> names;
  std::uint64_t sum = 0;
  sw::for_each_counter(c, [&](const char* name, std::uint64_t value) {
    names.emplace_back(name);
    sum += value;
  });
  CHECK(names == std::vector<std::string>{"items_in", "items_out", "batches_in", "batches_out",
                                          "errors_skipped", "retries", "dead_lettered",
                                          "late_dropped", "state_entries", "state_bytes"});
  CHECK(sum == 13);
}

TEST_CASE("adding counters adds each one") {
  sw::NodeCounters a;
  sw::NodeCounters b;
  std::uint64_t k = 1;
  // Distinct values per counter, so a counter added into the wrong field shows.
  b.items_in = 1, b.items_out = 2, b.batches_in = 3, b.batches_out = 4, b.errors_skipped = 5;
  b.retries = 6, b.dead_lettered = 7, b.late_dropped = 8, b.state_entries = 9, b.state_bytes = 10;
  a += b;
  a += b;
  sw::for_each_counter(a, [&](const char* name, std::uint64_t value) {
    INFO(name);
    CHECK(value == 2 * k);
    ++k;
  });
  CHECK(k == 11);
}
