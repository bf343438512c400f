// The in-process executor end to end: fan-out, merge, keyed state, zero-copy sharing, the
// report, instances opened before items move, and WindFlow-style randomised runs that must
// all give the same result.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <random>
#include <streamweave/streamweave.hpp>

#include "support/helpers.hpp"
#include "support/tracked.hpp"
#include "support/watchdog.hpp"

namespace {

struct Bid {
  std::uint64_t auction = 0;
  std::uint64_t bidder = 0;
  std::int64_t price = 0;
  std::uint64_t ts = 0;
};

Bid make_bid(std::uint64_t i) {
  return Bid{(i * 7919) % 1000, i % 313, static_cast<std::int64_t>((i * 31) % 10000), i};
}

}  // namespace

TEST_CASE("fan-out delivers every item to every consumer") {
  sw::test::Watchdog watchdog("fan-out");
  sw::Graph g{"fanout"};
  std::vector<std::vector<int>> outs(5);
  auto s = g.source("s", sw::from(sw::test::iota(20000)), {.parallelism = 2});
  for (std::size_t i = 0; i < outs.size(); ++i) {
    s.sink("out" + std::to_string(i), sw::collect(outs[i]),
           {.parallelism = static_cast<unsigned>(1 + i % 3)});
  }
  sw::run(g, {.threads = 2, .batch_size = 128, .channel_capacity = 2});
  for (const auto& out : outs) CHECK(sw::test::sorted(out) == sw::test::iota(20000));
}

TEST_CASE("fan-out shares batches: read-only consumers copy no item") {
  sw::test::Watchdog watchdog("shared fan-out");
  sw::Graph g{"shared"};
  std::uint64_t a = 0, b = 0, c = 0;
  auto s = g.source(
      "s",
      sw::generate<sw::test::Tracked>(50000, [](std::uint64_t i) { return sw::test::Tracked{i}; }),
      {.parallelism = 1});
  s.filter("even", [](const sw::test::Tracked& t) {
     return t.value % 2 == 0;
   }).sink("a", sw::count(a));
  s.inspect("look", [](const sw::test::Tracked&) {}).sink("b", sw::count(b));
  s.sink("c", sw::count(c));
  sw::test::Tracked::copies = 0;
  const sw::RunReport r = sw::run(g, {.threads = 2, .batch_size = 256});
  CHECK(a == 25000);
  CHECK(b == 50000);
  CHECK(c == 50000);
  // filter and inspect pass shared items by reference; the batch level shares, not copies.
  CHECK(sw::test::Tracked::copies == 0);
  CHECK(r.batch_reuse_rate() > 0.5);
}

TEST_CASE("filters on a shared batch pass views: chained, under skip, into a map and a key_by") {
  sw::test::Watchdog watchdog("views");
  constexpr std::uint64_t n = 30000;
  std::map<std::uint64_t, std::uint64_t> expected_sums;
  std::uint64_t expected_mapped = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (i % 3 == 0 && i % 2 == 0) expected_sums[i % 7] += i;
    if (i % 5 != 0) expected_mapped += 2 * i;
  }
  std::mt19937 rng(20261203);
  auto pick = [&](unsigned lo, unsigned hi) {
    return std::uniform_int_distribution<unsigned>(lo, hi)(rng);
  };
  for (int run = 0; run < 8; ++run) {
    const sw::ErrorPolicy policy = run % 2 == 0 ? sw::ErrorPolicy::stop() : sw::ErrorPolicy::skip();
    auto opts = [&] {
      return sw::NodeOptions{
          .parallelism = pick(1, 3), .batch_size = pick(1, 300), .errors = policy};
    };
    sw::Graph g{"views"};
    std::vector<sw::KeyValue<std::uint64_t, std::uint64_t>> sums;
    std::vector<std::uint64_t> mapped;
    std::uint64_t all = 0;
    auto s = g.source("s", sw::generate<std::uint64_t>(n, [](std::uint64_t i) { return i; }),
                      {.parallelism = pick(1, 2), .batch_size = pick(1, 500)});
    s.filter(
         "thirds", [](std::uint64_t x) { return x % 3 == 0; }, opts())
        .filter(
            "sixths", [](std::uint64_t x) { return x % 2 == 0; }, opts())
        .key_by([](std::uint64_t x) { return x % 7; })
        .reduce("sum", [](std::uint64_t acc, std::uint64_t x) { return acc + x; },
                {.emit = sw::Emit::at_end, .node = opts()})
        .sink("sums", sw::collect(sums));
    s.filter(
         "not-fifths", [](std::uint64_t x) { return x % 5 != 0; }, opts())
        .map(
            "double", [](const std::uint64_t& x) { return 2 * x; }, opts())
        .sink("mapped", sw::collect(mapped), opts());
    s.sink("all", sw::count(all));
    INFO("run " << run << "\n" << sw::to_dot(g, {.threads = 2}));
    sw::run(g, {.threads = pick(1, 3)});
    std::map<std::uint64_t, std::uint64_t> got;
    for (const auto& kv : sums) got[kv.key] += kv.value;
    CHECK(got == expected_sums);
    std::uint64_t total = 0;
    for (std::uint64_t x : mapped) total += x;
    CHECK(mapped.size() == n - n / 5);
    CHECK(total == expected_mapped);
    CHECK(all == n);
  }
}

TEST_CASE("a view read by inspect, a by-reference map and a sink copies no item") {
  sw::test::Watchdog watchdog("view reads");
  sw::Graph g{"view reads"};
  std::uint64_t a = 0, b = 0;
  std::vector<std::uint64_t> values;
  auto s = g.source(
      "s",
      sw::generate<sw::test::Tracked>(20000, [](std::uint64_t i) { return sw::test::Tracked{i}; }),
      {.parallelism = 1});
  s.filter("odd", [](const sw::test::Tracked& t) { return t.value % 2 == 1; }, {.parallelism = 1})
      .filter("odd-thirds", [](const sw::test::Tracked& t) { return t.value % 3 == 0; },
              {.parallelism = 1})
      .inspect("look", [](const sw::test::Tracked&) {}, {.parallelism = 1})
      .map("value", [](const sw::test::Tracked& t) { return t.value; }, {.parallelism = 1})
      .sink("values", sw::collect(values), {.parallelism = 1});
  s.sink("a", sw::count(a), {.parallelism = 1});
  s.filter("any", [](const sw::test::Tracked&) { return true; }, {.parallelism = 1})
      .sink("b", sw::count(b), {.parallelism = 1});
  sw::test::Tracked::copies = 0;
  sw::run(g, {.threads = 2, .batch_size = 128});
  CHECK(a == 20000);
  CHECK(b == 20000);
  std::vector<std::uint64_t> expected;
  for (std::uint64_t i = 3; i < 20000; i += 6) expected.push_back(i);
  CHECK(sw::test::sorted(values) == expected);
  CHECK(sw::test::Tracked::copies == 0);
}

TEST_CASE("a consumer that must own items copies only while the batch is shared") {
  sw::test::Watchdog watchdog("copy on write");
  sw::Graph g{"cow"};
  std::uint64_t a = 0, b = 0;
  auto s = g.source(
      "s",
      sw::generate<sw::test::Tracked>(10000, [](std::uint64_t i) { return sw::test::Tracked{i}; }),
      {.parallelism = 1});
  s.map("own1", [](sw::test::Tracked t) { return t; }, {.parallelism = 1}).sink("a", sw::count(a));
  s.map("own2", [](sw::test::Tracked t) { return t; }, {.parallelism = 1}).sink("b", sw::count(b));
  sw::test::Tracked::copies = 0;
  sw::run(g, {.threads = 2});
  CHECK(a == 10000);
  CHECK(b == 10000);
  // Two owners of one shared batch: at most one copy per item per consumer, and the last
  // holder may move; never more than 2 per item.
  CHECK(sw::test::Tracked::copies <= 20000);
  CHECK(sw::test::Tracked::copies >= 10000);
}

TEST_CASE("pipeline P: map, filter and keyed sum match a plain loop for parallelism 1 to 4") {
  sw::test::Watchdog watchdog("pipeline P");
  constexpr std::uint64_t n = 100000;
  std::map<std::uint64_t, std::int64_t> expected;
  for (std::uint64_t i = 0; i < n; ++i) {
    Bid b = make_bid(i);
    b.price = b.price * 908 / 1000;
    if (b.auction % 123 != 0) expected[b.auction] += b.price;
  }
  for (unsigned p = 1; p <= 4; ++p) {
    sw::Graph g{"P"};
    std::vector<sw::KeyValue<std::uint64_t, std::int64_t>> out;
    g.default_parallelism(p);
    g.source("bids", sw::generate<Bid>(n, make_bid))
        .map("to-euro",
             [](Bid b) {
               b.price = b.price * 908 / 1000;
               return b;
             })
        .filter("sample", [](const Bid& b) { return b.auction % 123 != 0; })
        .key_by([](const Bid& b) { return b.auction; })
        .reduce("sum", [](std::int64_t acc, const Bid& b) { return acc + b.price; },
                {.emit = sw::Emit::at_end})
        .sink("out", sw::collect(out));
    const sw::RunReport r = sw::run(g, {.threads = 2});
    std::map<std::uint64_t, std::int64_t> got;
    for (const auto& kv : out) got[kv.key] += kv.value;
    CHECK(got.size() == out.size());
    CHECK(got == expected);
    CHECK(r.events == n);
    CHECK(r.node("sample").items_in == n);
    CHECK(r.status == sw::RunReport::Status::completed);
  }
}

TEST_CASE("the report counts items, batches and time per node") {
  sw::test::Watchdog watchdog("report");
  sw::Graph g{"report"};
  std::uint64_t n = 0;
  g.source("s", sw::generate<int>(10000, [](std::uint64_t i) { return static_cast<int>(i); }),
           {.parallelism = 1})
      .map("m", [](int v) { return v; }, {.parallelism = 1})
      .rebalance()
      .sink("n", sw::count(n), {.parallelism = 2, .batch_size = 100});
  const sw::RunReport r = sw::run(g, {.threads = 2, .batch_size = 100});
  CHECK(n == 10000);
  CHECK(r.graph == "report");
  CHECK(r.threads == 2);
  CHECK(r.tasks == 3);
  CHECK(r.node("s").items_out == 10000);
  CHECK(r.node("m").items_in == 10000);
  CHECK(r.node("m").batches_out == 100);
  CHECK(r.node("n").batches_in == 100);
  CHECK(r.node("n").items_in == 10000);
  CHECK(r.node("s").busy_seconds > 0);
  CHECK(r.wall_seconds > 0);
  CHECK(r.events_per_second > 0);
  CHECK_THAT(r.summary(),
             Catch::Contains("graph 'report' completed") && Catch::Contains("events 10000"));
  CHECK_THROWS_AS(r.node("nope"), std::out_of_range);
}

TEST_CASE("linger flushes partial batches of a slow trickle") {
  sw::test::Watchdog watchdog("linger");
  // Ten items, 40 ms apart, into 1000-item batches behind a channel. Without linger nothing
  // is sent before the source closes, so the sink would see its first item only after all
  // ten were produced; with a 1 ms linger the first arrives while the source still trickles.
  constexpr int kItems = 10;
  static std::atomic<int> produced{0};
  produced = 0;
  struct Trickle {
    int left = kItems;
    std::optional<int> next() {
      if (left == 0) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(40));
      produced.fetch_add(1);
      return left--;
    }
  };
  sw::Graph g{"linger"};
  std::atomic<int> produced_at_first{-1};
  std::atomic<int> received{0};
  g.source("t", sw::producer(Trickle{}),
           {.parallelism = 1, .batch_size = 1000, .linger = std::chrono::milliseconds(1)})
      .sink("s", sw::for_each([&](int) {
              if (received.fetch_add(1) == 0) produced_at_first = produced.load();
            }),
            {.parallelism = 1, .chain = false});  // behind a channel: batches must be flushed
  sw::run(g, {.threads = 2});
  CHECK(received == kItems);
  INFO("items produced when the first arrived: " << produced_at_first.load());
  CHECK(produced_at_first.load() < kItems);
}

TEST_CASE("20 randomised runs (parallelism, batch size, capacity, threads) give one result") {
  sw::test::Watchdog watchdog("randomised runs", std::chrono::seconds(240));
  constexpr std::uint64_t n = 30000;
  using KV = sw::KeyValue<std::uint64_t, std::int64_t>;
  // The graph: bids -> copies (flat_map: 0-2 copies, price % 5 != 0 only) -> keyed sum and
  // count (fan-out); bids -> map merged with bids -> filter(even ts) -> rebalance -> count.
  std::map<std::uint64_t, std::int64_t> expected_sums;
  std::uint64_t expected_count = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const Bid b = make_bid(i);
    if (b.price % 5 == 0) continue;
    for (std::int64_t copy = 0; copy < static_cast<std::int64_t>(b.bidder % 3); ++copy) {
      expected_sums[b.auction % 97] += b.price + copy;
      ++expected_count;
    }
  }
  const std::uint64_t expected_merged = n + n / 2;

  std::mt19937 rng(20261123);
  auto pick = [&](unsigned lo, unsigned hi) {
    return std::uniform_int_distribution<unsigned>(lo, hi)(rng);
  };
  auto opts = [&] {
    return sw::NodeOptions{
        .parallelism = pick(1, 4), .batch_size = pick(1, 512), .channel_capacity = pick(1, 8)};
  };
  for (int run = 0; run < 20; ++run) {
    sw::Graph g{"random"};
    std::vector<KV> sums;
    std::uint64_t count = 0;
    std::uint64_t merged = 0;
    auto bids = g.source("bids", sw::generate<Bid>(n, make_bid), opts());
    auto copies = bids.flat_map<Bid>(
        "copies",
        [](const Bid& b, sw::Emitter<Bid>& emit) {
          if (b.price % 5 == 0) return;
          for (std::int64_t copy = 0; copy < static_cast<std::int64_t>(b.bidder % 3); ++copy) {
            Bid c = b;
            c.price += copy;
            emit(std::move(c));
          }
        },
        opts());
    copies.key_by([](const Bid& b) { return b.auction % 97; })
        .reduce("sum", [](std::int64_t acc, const Bid& b) { return acc + b.price; },
                {.emit = sw::Emit::at_end, .node = opts()})
        .sink("sums", sw::collect(sums), opts());
    copies.sink("count", sw::count(count), opts());
    auto evens = bids.filter(
        "evens", [](const Bid& b) { return b.ts % 2 == 0; }, opts());
    bids.map(
            "same", [](const Bid& b) { return b; }, opts())
        .merge_as("merged", opts(), evens)
        .rebalance()
        .sink("merged-count", sw::count(merged), opts());
    const unsigned threads = pick(1, 4);
    const std::size_t budget = pick(1, 32);
    INFO("run " << run << ", threads " << threads << ", budget " << budget << "\n"
                << sw::to_dot(g, {.threads = threads}));
    sw::run(g, {.threads = threads, .step_budget = budget});
    std::map<std::uint64_t, std::int64_t> got;
    for (const KV& kv : sums) got[kv.key] += kv.value;
    CHECK(got.size() == sums.size());  // each key emitted once, by the instance that owns it
    CHECK(got == expected_sums);
    CHECK(count == expected_count);
    CHECK(merged == expected_merged);
  }
}

// Regression: a producer marking itself running (a plain store) could have that store wait in
// the CPU's store buffer past its first look at a full channel, while the consumer freed room
// and saw the producer still "queued": the producer then parked on a channel with room and
// nobody woke it. Tight channels and tiny batches made it hang about once in 300 runs.
TEST_CASE("merge into tight channels never loses a wake-up") {
  for (int run = 0; run < 300; ++run) {
    sw::test::Watchdog watchdog("tight merge", std::chrono::seconds(30));
    sw::Graph g{"tight-merge"};
    std::vector<int> out;
    auto left = g.source("left", sw::from(sw::test::iota(10000)), {.parallelism = 3});
    auto right = g.source("right", sw::from(sw::test::iota(10000, 50000)), {.parallelism = 1});
    left.merge(right)
        .map("inc", [](int v) { return v + 1; })
        .sink("out", sw::collect(out), {.parallelism = 1});
    (void)sw::run(g, {.threads = 2, .batch_size = 4, .channel_capacity = 2});
    REQUIRE(out.size() == 20000);
  }
}

namespace {

// A sink that records when it was opened, counting the items it had seen by then, and
// fails to open when told to.
struct OpenLog {
  std::mutex mutex;
  std::vector<std::pair<unsigned, std::uint64_t>> opened;  // (instance, items seen then)
  std::atomic<std::uint64_t> items{0};
};

class OpeningSink final : public sw::SinkBase<int> {
 public:
  OpeningSink(const sw::InstanceContext& ctx, OpenLog* log, bool fails)
      : SinkBase<int>(ctx), log_(log), fails_(fails) {}
  void open() override {
    if (fails_ && ctx_.instance == 1) throw std::runtime_error("nothing listens there");
    std::lock_guard lock(log_->mutex);
    log_->opened.emplace_back(ctx_.instance, log_->items.load());
  }
  void push_items(sw::BatchPtr<int> batch) override {
    metrics_.items_in += batch->size();
    log_->items += batch->size();
  }
  void finish() override {}

 private:
  OpenLog* log_;
  bool fails_;
};

struct OpeningSpec {
  static constexpr const char* op_name = "opening";
  OpenLog* log;
  bool fails = false;
  template <class U>
  [[nodiscard]] std::unique_ptr<sw::OperatorInstance> instantiate(
      const sw::InstanceContext& ctx) const {
    return std::make_unique<OpeningSink>(ctx, log, fails);
  }
};

}  // namespace

TEST_CASE("Every instance is opened once before any item moves and one that cannot fails the run") {
  sw::test::Watchdog watchdog("open");
  OpenLog log;
  sw::Graph g{"opened"};
  g.source("s", sw::from(sw::test::iota(5000)), {.parallelism = 2})
      .sink("out", OpeningSpec{&log}, {.parallelism = 3});
  const sw::RunReport r = sw::run(g, {.threads = 2, .batch_size = 64});
  CHECK(r.node("out").items_in == 5000);
  std::vector<std::pair<unsigned, std::uint64_t>> expected{{0, 0}, {1, 0}, {2, 0}};
  std::sort(log.opened.begin(), log.opened.end());
  CHECK(log.opened == expected);

  OpenLog failing;
  sw::Graph f{"not_opened"};
  f.source("s", sw::from(sw::test::iota(5000)))
      .sink("out", OpeningSpec{&failing, true}, {.parallelism = 2});
  CHECK_THROWS_WITH(sw::run(f, {.threads = 2}), Catch::Contains("nothing listens there"));
  CHECK(failing.items == 0);
}
