// JavaRandom against values printed by the JVM (OpenJDK 17, java.util.Random and
// Math.round / Math.pow), so the NEXMark generator draws exactly Beam's numbers.
#include <catch2/catch.hpp>
#include <streamweave/operators/nexmark/java_random.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

using sw::nexmark::java_round;
using sw::nexmark::JavaRandom;

TEST_CASE("JavaRandom matches java.util.Random's documented first values", "[nexmark]") {
  CHECK(JavaRandom(42).next_int() == -1170105035);
  CHECK(JavaRandom(0).next_long() == -4962768465676381896LL);
  CHECK(JavaRandom(0).next_double() == 0.730967787376657);
}

TEST_CASE("JavaRandom::next_int(bound) matches the JVM, rejection loop included", "[nexmark]") {
  JavaRandom big(7);  // a bound of 1.5 * 2^30 rejects a quarter of the draws
  const std::vector<std::int32_t> expected_big = {1569164236, 1371249164, 1608829485, 20678044,
                                                  747989380,  1053566254, 1594696649, 1520798850};
  for (const std::int32_t want : expected_big) CHECK(big.next_int(1610612736) == want);

  JavaRandom small(-5);
  for (const std::int32_t want : {7, 8, 4, 4, 9, 2, 0, 5}) CHECK(small.next_int(13) == want);
  for (const std::int32_t want : {353, 347, 117, 726}) CHECK(small.next_int(1024) == want);
}

TEST_CASE("JavaRandom::next_long and next_boolean match the JVM", "[nexmark]") {
  JavaRandom longs(123456789);
  for (const std::int64_t want :
       {-6197403153606331135LL, 8429272609719263920LL, 7203573180470058788LL,
        -1967508324443428465LL, -4618295442963808721LL, 6631287266403076995LL}) {
    CHECK(longs.next_long() == want);
  }
  JavaRandom bools(99);
  for (const char want : std::string_view("1001101110010110")) {
    CHECK(bools.next_boolean() == (want == '1'));
  }
}

TEST_CASE("Beam's price formula gives the JVM's prices", "[nexmark]") {
  const std::vector<std::int64_t> expected = {2148117, 2145460, 2153440, 2150777, 2137509, 2134865};
  for (std::int64_t seed = 100; seed < 106; ++seed) {
    JavaRandom random(seed);
    CHECK(java_round(std::pow(10.0, random.next_double() * 6.0) * 100.0) ==
          expected[static_cast<std::size_t>(seed - 100)]);
  }
}

TEST_CASE("java_round rounds ties up, like Math.round", "[nexmark]") {
  CHECK(java_round(2.5) == 3);
  CHECK(java_round(-2.5) == -2);
  CHECK(java_round(13.6) == 14);
  CHECK(java_round(0.49999999999999994) == 0);
}

TEST_CASE(
    "JavaRandom::next_ints gives what as many next_int() calls give, and leaves the same seed",
    "[nexmark]") {
  for (std::size_t n = 0; n < 8; ++n) {
    INFO("n = " << n);
    JavaRandom one_by_one(-123456789);
    JavaRandom in_pairs(-123456789);
    std::vector<std::int32_t> expected;
    for (std::size_t k = 0; k < n; ++k) expected.push_back(one_by_one.next_int());
    std::vector<std::int32_t> got;
    in_pairs.next_ints(n, [&got](std::int32_t r) { got.push_back(r); });
    CHECK(got == expected);
    CHECK(in_pairs.next_int() == one_by_one.next_int());  // the seed after them
    CHECK(in_pairs.next_int(13) == one_by_one.next_int(13));
  }
}
