#include <catch2/catch.hpp>
#include <sstream>
#include <stdexcept>
#include <streamweave/serde/str.hpp>
#include <unordered_set>

TEST_CASE("Str compares and hashes by content", "[serde][str]") {
  const sw::Str a("hello");
  const sw::Str b(std::string("hel") + "lo");
  REQUIRE(a == b);
  REQUIRE(a.view().data() != b.view().data());  // two buffers, equal text
  REQUIRE(std::hash<sw::Str>{}(a) == std::hash<sw::Str>{}(b));
  REQUIRE(a < sw::Str("world"));
  REQUIRE(a == std::string_view("hello"));
  const std::unordered_set<sw::Str> set{a, b, sw::Str("x")};
  REQUIRE(set.size() == 2);
  std::ostringstream out;
  out << a;
  REQUIRE(out.str() == "hello");
  REQUIRE(sw::Str().empty());
}

TEST_CASE("A Str slice shares its buffer and outlives the original", "[serde][str]") {
  sw::BufferPool pool;
  sw::Str word;
  {
    const sw::Str line("the quick brown fox", pool);
    word = line.substr(4, 9);
    REQUIRE(word.view().data() == line.view().data() + 4);
    const std::string_view as_view = word;
    REQUIRE(as_view == "quick");
  }
  REQUIRE(word == std::string_view("quick"));  // ASan: the buffer is still alive
  REQUIRE(pool.stats().outstanding_bytes > 0);
  word = sw::Str();
  REQUIRE(pool.stats().outstanding_bytes == 0);
  REQUIRE_THROWS_AS(sw::Str("abc").substr(2, 4), std::out_of_range);
}
