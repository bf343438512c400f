#include <catch2/catch.hpp>
#include <map>
#include <streamweave/streamweave.hpp>
#include <string>

#include "support/helpers.hpp"

namespace {
struct Bid {
  std::uint64_t auction;
  std::int64_t price;
};
}  // namespace

TEST_CASE("keyed reduce at end of stream: one sum per key, for parallelism 1 to 4") {
  for (unsigned p = 1; p <= 4; ++p) {
    sw::Graph g{"reduce"};
    std::vector<sw::KeyValue<std::uint64_t, std::int64_t>> out;
    g.source("bids",
             sw::generate<Bid>(10000,
                               [](std::uint64_t i) {
                                 return Bid{i % 7, static_cast<std::int64_t>(i)};
                               }),
             {.parallelism = p})
        .key_by([](const Bid& b) { return b.auction; })
        .reduce("sum", [](std::int64_t acc, const Bid& b) { return acc + b.price; },
                {.emit = sw::Emit::at_end, .node = {.parallelism = p}})
        .sink("out", sw::collect(out));
    sw::run(g, {.threads = 2});
    std::map<std::uint64_t, std::int64_t> expected;
    for (std::int64_t i = 0; i < 10000; ++i) expected[static_cast<std::uint64_t>(i % 7)] += i;
    std::map<std::uint64_t, std::int64_t> got;
    for (const auto& kv : out) {
      CHECK(got.count(kv.key) == 0);  // each key exactly once
      got[kv.key] = kv.value;
    }
    CHECK(got == expected);
  }
}

TEST_CASE("keyed reduce emits running values after every item by default") {
  sw::Graph g{"running"};
  std::vector<sw::KeyValue<std::string, int>> out;
  g.source("w", sw::from({std::string("a"), std::string("b"), std::string("a"), std::string("a")}))
      .key_by([](const std::string& w) { return w; })
      .reduce("count", [](int acc, const std::string&) { return acc + 1; })
      .sink("out", sw::collect(out), {.parallelism = 1});
  sw::run(g, {.threads = 1});
  using KV = sw::KeyValue<std::string, int>;
  CHECK(out == std::vector<KV>{{"a", 1}, {"b", 1}, {"a", 2}, {"a", 3}});
}

TEST_CASE("aggregate with an explicit initial value and in-place update") {
  sw::Graph g{"aggregate"};
  std::vector<sw::KeyValue<int, std::vector<int>>> out;
  g.source("n", sw::from(sw::test::iota(10)))
      .key_by([](int v) { return v % 2; })
      .aggregate("lists", std::vector<int>{-1},
                 [](std::vector<int>& acc, int v) { acc.push_back(v); }, {.emit = sw::Emit::at_end})
      .sink("out", sw::collect(out), {.parallelism = 1});
  sw::run(g, {.threads = 2});
  REQUIRE(out.size() == 2);
  std::map<int, std::vector<int>> got;
  for (auto& kv : out) got[kv.key] = sw::test::sorted(kv.value);
  CHECK(got[0] == std::vector<int>{-1, 0, 2, 4, 6, 8});
  CHECK(got[1] == std::vector<int>{-1, 1, 3, 5, 7, 9});
}

TEST_CASE("combine pre-aggregates before the shuffle and gives the same sums") {
  for (unsigned p = 1; p <= 4; ++p) {
    sw::Graph g{"combine"};
    std::vector<sw::KeyValue<std::uint64_t, std::int64_t>> out;
    g.source("bids",
             sw::generate<Bid>(10000,
                               [](std::uint64_t i) {
                                 return Bid{i % 7, static_cast<std::int64_t>(i)};
                               }),
             {.parallelism = p})
        .key_by([](const Bid& b) { return b.auction; })
        .combine(
            "sum", std::int64_t{0}, [](std::int64_t acc, const Bid& b) { return acc + b.price; },
            [](std::int64_t& acc, const std::int64_t& other) { acc += other; }, {.parallelism = 2})
        .sink("out", sw::collect(out));
    const sw::RunReport r = sw::run(g, {.threads = 2});
    std::map<std::uint64_t, std::int64_t> expected;
    for (std::int64_t i = 0; i < 10000; ++i) expected[static_cast<std::uint64_t>(i % 7)] += i;
    std::map<std::uint64_t, std::int64_t> got;
    for (const auto& kv : out) {
      CHECK(got.count(kv.key) == 0);
      got[kv.key] = kv.value;
    }
    CHECK(got == expected);
    // Only partial results cross the shuffle: at most one per key per upstream instance.
    CHECK(r.node("sum").items_in <= 7 * p);
    CHECK(r.node("sum/local").items_in == 10000);
  }
}

TEST_CASE("a Symbol is a key_by key: counts per interned channel, parallelism 3") {
  static const char* const kChannels[] = {"Google", "Facebook", "Baidu", "Apple", "Bing"};
  sw::Graph g{"symbols"};
  std::vector<sw::KeyValue<sw::Symbol, std::int64_t>> out;
  g.source("channels",
           sw::generate<sw::Symbol>(
               10000, [](std::uint64_t i) { return sw::Symbol(kChannels[(i * 7) % 5]); }),
           {.parallelism = 3})
      .key_by([](const sw::Symbol& s) { return s; })
      .reduce("count", [](std::int64_t n, const sw::Symbol&) { return n + 1; },
              {.emit = sw::Emit::at_end, .node = {.parallelism = 3}})
      .sink("out", sw::collect(out));
  sw::run(g, {.threads = 2});
  std::map<std::string, std::int64_t> got;
  for (const auto& kv : out) got[kv.key.str()] += kv.value;
  REQUIRE(got.size() == 5);
  for (const auto& [name, n] : got) REQUIRE(n == 2000);
  REQUIRE(out.size() == 5);  // each key owned by exactly one instance
}
