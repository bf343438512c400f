#include <catch2/catch.hpp>
#include <set>
#include <streamweave/serde/hash.hpp>
#include <streamweave/serde/symbol.hpp>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "support/watchdog.hpp"

TEST_CASE("Equal texts intern to one symbol", "[serde][symbol]") {
  const sw::Symbol a("auction");
  const sw::Symbol b(std::string("auc") + "tion");
  const sw::Symbol c("bidder");
  REQUIRE(a == b);
  REQUIRE(a.view().data() == b.view().data());  // one entry
  REQUIRE_FALSE(a == c);
  REQUIRE(a == std::string_view("auction"));
  REQUIRE(a.hash() == b.hash());
  REQUIRE(a.hash() == sw::fnv1a64("auction"));
  REQUIRE(sw::Symbol().empty());
  REQUIRE(sw::Symbol("") == sw::Symbol());
  REQUIRE(a < c);  // by text
  const std::set<sw::Symbol> ordered{sw::Symbol("b"), sw::Symbol("c"), sw::Symbol("a")};
  REQUIRE(ordered.begin()->view() == "a");

  std::unordered_map<sw::Symbol, int> counts;
  ++counts[sw::Symbol("x")];
  ++counts[sw::Symbol(std::string(1, 'x'))];
  REQUIRE(counts.size() == 1);
  REQUIRE(counts.begin()->second == 2);
}

TEST_CASE("Threads interning the same texts concurrently get the same symbols",
          "[serde][symbol][concurrency]") {
  sw::test::Watchdog watchdog("interner");
  constexpr int kThreads = 4;
  constexpr int kTexts = 2000;
  constexpr int kSteps[kThreads] = {1, 3, 7, 9};  // coprime with kTexts: permutations
  std::vector<std::vector<sw::Symbol>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&seen, &kSteps, t] {
      auto& mine = seen[static_cast<std::size_t>(t)];
      mine.resize(kTexts);
      // Each thread walks the texts in its own order, so first uses race.
      for (int i = 0; i < kTexts; ++i) {
        const int k = (i * kSteps[static_cast<std::size_t>(t)] + t * 7) % kTexts;
        mine[static_cast<std::size_t>(k)] = sw::Symbol("concurrent-" + std::to_string(k));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int k = 0; k < kTexts; ++k) {
    const auto i = static_cast<std::size_t>(k);
    REQUIRE(seen[0][i].view() == "concurrent-" + std::to_string(k));
    for (int t = 1; t < kThreads; ++t) REQUIRE(seen[static_cast<std::size_t>(t)][i] == seen[0][i]);
  }
}
