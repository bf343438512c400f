// Error policies: a throwing map under stop, skip, retry and dead-letter; errors in sinks;
// the first error cancels the whole graph promptly.
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <set>
#include <streamweave/streamweave.hpp>

#include "support/helpers.hpp"
#include "support/watchdog.hpp"

namespace {

int fail_on_multiples_of_7(int v) {
  if (v % 7 == 0) throw std::runtime_error("bad value " + std::to_string(v));
  return v * 2;
}

}  // namespace

TEST_CASE("stop: run() throws naming the node, the instance, the item and the cause") {
  sw::test::Watchdog watchdog("policy stop");
  sw::Graph g{"stop"};
  g.source("s", sw::from(sw::test::iota(100, 1)), {.parallelism = 1})
      .map("boom", fail_on_multiples_of_7, {.parallelism = 1})
      .sink("out", sw::discard());
  try {
    sw::run(g, {.threads = 2});
    FAIL("run() did not throw");
  } catch (const sw::NodeError& e) {
    CHECK(e.node() == "boom");
    CHECK(e.instance() == 0);
    CHECK(e.position() == 6);  // the 7th item, value 7
    CHECK(e.message() == "bad value 7");
    CHECK_THAT(e.what(), Catch::Contains("node 'boom'") && Catch::Contains("item 6") &&
                             Catch::Contains("bad value 7"));
  }
}

TEST_CASE("skip: failing items are dropped and counted") {
  sw::test::Watchdog watchdog("policy skip");
  sw::Graph g{"skip"};
  std::vector<int> out;
  g.source("s", sw::from(sw::test::iota(100, 1)), {.parallelism = 2})
      .map("boom", fail_on_multiples_of_7, {.parallelism = 2, .errors = sw::ErrorPolicy::skip()})
      .sink("out", sw::collect(out));
  const sw::RunReport r = sw::run(g, {.threads = 2});
  std::vector<int> expected;
  for (int v = 1; v <= 100; ++v) {
    if (v % 7 != 0) expected.push_back(v * 2);
  }
  CHECK(sw::test::sorted(out) == expected);
  CHECK(r.node("boom").errors_skipped == 14);
  // The report names the first errors of each instance (at most kErrorsNamed each).
  const auto& named = r.node("boom").first_errors;
  CHECK(named.size() == 2 * sw::kErrorsNamed);
  for (const std::string& e : named) CHECK_THAT(e, Catch::Matches("item [0-9]+: bad value [0-9]+"));
  CHECK_THAT(r.summary(), Catch::Contains("14 errors skipped at boom; the first:\n  item "));
}

TEST_CASE("skip(max_errors): past the limit the run stops, naming this error and the first") {
  sw::test::Watchdog watchdog("policy skip with a limit");
  for (const unsigned parallelism : {1u, 2u, 3u}) {
    for (const std::uint64_t limit : {0u, 5u, 13u, 14u}) {
      sw::Graph g{"skip-limit"};
      std::vector<int> out;
      g.source("s", sw::from(sw::test::iota(100, 1)), {.parallelism = parallelism})
          .map("boom", fail_on_multiples_of_7,
               {.parallelism = parallelism, .errors = sw::ErrorPolicy::skip(limit)})
          .sink("out", sw::collect(out));
      if (limit >= 14) {  // 14 bad items: within the limit
        CHECK(sw::run(g, {.threads = 2}).node("boom").errors_skipped == 14);
        continue;
      }
      try {
        sw::run(g, {.threads = 2});
        FAIL("more than " << limit << " errors were skipped");
      } catch (const sw::NodeError& e) {
        CHECK_THAT(e.message(), Catch::StartsWith("more than " + std::to_string(limit) +
                                                  " errors (the skip policy's limit); this one: "
                                                  "bad value ") &&
                                    Catch::Contains("; the first: "));
      }
    }
  }
  CHECK(sw::ErrorPolicy::skip(3).to_string() == "skip(at most 3)");
  CHECK(sw::ErrorPolicy::skip().max_errors() == sw::ErrorPolicy::kUnlimited);
  CHECK(sw::ErrorPolicy::retry(4).attempts() == 4);
  CHECK(sw::ErrorPolicy::skip(4).attempts() == 0);
}

TEST_CASE("retry: a transient failure succeeds on a later attempt, a permanent one stops") {
  sw::test::Watchdog watchdog("policy retry");
  std::mutex mutex;
  std::map<int, int> attempts;
  auto flaky = [&](int v) {
    std::lock_guard lock(mutex);
    if (v % 10 == 0 && ++attempts[v] < 3) throw std::runtime_error("transient");
    return v;
  };
  sw::Graph g{"retry"};
  std::vector<int> out;
  g.source("s", sw::from(sw::test::iota(50)))
      .map("flaky", flaky, {.errors = sw::ErrorPolicy::retry(2)})
      .sink("out", sw::collect(out));
  const sw::RunReport r = sw::run(g, {.threads = 2});
  CHECK(sw::test::sorted(out) == sw::test::iota(50));
  CHECK(r.node("flaky").retries == 10);

  sw::Graph g2{"retry-exhausted"};
  g2.source("s", sw::from(sw::test::iota(50, 1)))
      .map("boom", fail_on_multiples_of_7, {.errors = sw::ErrorPolicy::retry(3)})
      .sink("out", sw::discard());
  CHECK_THROWS_WITH(sw::run(g2, {.threads = 2}),
                    Catch::Contains("node 'boom'") && Catch::Contains("bad value"));
}

TEST_CASE("dead-letter: failing items and their errors go to the dead-letter stream") {
  sw::test::Watchdog watchdog("policy dead-letter");
  sw::Graph g{"dead"};
  std::vector<int> out;
  std::vector<sw::DeadLetter<int>> dead;
  auto mapped = g.source("s", sw::from(sw::test::iota(100, 1)), {.parallelism = 1})
                    .map("boom", fail_on_multiples_of_7,
                         {.parallelism = 1, .errors = sw::ErrorPolicy::dead_letter()});
  mapped.sink("out", sw::collect(out));
  mapped.dead_letters().sink("errors", sw::collect(dead), {.parallelism = 1});
  const sw::RunReport r = sw::run(g, {.threads = 2});
  CHECK(out.size() == 86);
  REQUIRE(dead.size() == 14);
  std::sort(dead.begin(), dead.end(), [](const auto& a, const auto& b) { return a.item < b.item; });
  CHECK(dead[0].item == 7);
  CHECK(dead[0].node == "boom");
  CHECK(dead[0].position == 6);
  CHECK(dead[0].error == "bad value 7");
  CHECK(dead[13].item == 98);
  CHECK(r.node("boom").dead_lettered == 14);
}

TEST_CASE("a throwing filter, flat_map, reduce and sink each name their node") {
  sw::test::Watchdog watchdog("throwing operators");
  auto expect_failure = [](sw::Graph& g, const std::string& node) {
    try {
      sw::run(g, {.threads = 2});
      FAIL("run() did not throw");
    } catch (const sw::NodeError& e) {
      CHECK(e.node() == node);
    }
  };
  {
    sw::Graph g{"f"};
    g.source("s", sw::from(sw::test::iota(10)))
        .filter("pred", [](int v) -> bool { throw std::runtime_error(std::to_string(v)); })
        .sink("out", sw::discard());
    expect_failure(g, "pred");
  }
  {
    sw::Graph g{"fm"};
    g.source("s", sw::from(sw::test::iota(10)))
        .flat_map("fm",
                  [](int v) -> std::vector<int> { throw std::runtime_error(std::to_string(v)); })
        .sink("out", sw::discard());
    expect_failure(g, "fm");
  }
  {
    sw::Graph g{"r"};
    g.source("s", sw::from(sw::test::iota(10)))
        .key_by([](int v) { return v; })
        .reduce("r", [](int, int) -> int { throw std::runtime_error("fold"); })
        .sink("out", sw::discard());
    expect_failure(g, "r");
  }
  {
    sw::Graph g{"sink"};
    g.source("s", sw::from(sw::test::iota(10))).sink("each", sw::for_each([](int) {
                                                       throw std::logic_error("sink");
                                                     }));
    expect_failure(g, "each");
  }
}

TEST_CASE("an error deep in one branch cancels a never-ending graph promptly") {
  sw::test::Watchdog watchdog("error cancels", std::chrono::seconds(30));
  sw::Graph g{"cancel-on-error"};
  auto src = g.source(
      "endless", sw::generate<std::uint64_t>(sw::unbounded, [](std::uint64_t i) { return i; }));
  src.sink("fine", sw::discard());
  src.rebalance()
      .map("boom",
           [](std::uint64_t v) {
             if (v == 50000) throw std::runtime_error("enough");
             return v;
           },
           {.errors = sw::ErrorPolicy::stop()})
      .sink("out", sw::discard());
  const auto start = sw::Clock::now();
  CHECK_THROWS_WITH(sw::run(g, {.threads = 2}), Catch::Contains("enough"));
  CHECK(sw::Clock::now() - start < std::chrono::seconds(10));
}
