// NEXMark q0-q8: each query's output against a plain single-threaded computation over the
// same events, written here without the engine; in process with random parallelism and batch
// sizes. The distributed runs of the same checks are tagged [distributed] (mpirun, CTest).
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "nexmark/queries.hpp"
#include "support/watchdog.hpp"

namespace nx = sw::nexmark;

namespace {

constexpr std::uint64_t kEvents = 30000;

const std::vector<nx::Event>& all_events() {
  static const std::vector<nx::Event> events = [] {
    const nx::Generator generator{nx::GeneratorConfig{.events = kEvents}};
    sw::StrArena arena;
    std::vector<nx::Event> out;
    for (std::uint64_t k = 0; k < kEvents; ++k) out.push_back(generator.event(k, arena));
    return out;
  }();
  return events;
}

std::vector<nx::Bid> all_bids() {
  std::vector<nx::Bid> out;
  for (const nx::Event& e : all_events()) {
    if (const nx::Bid* b = e.bid()) out.push_back(*b);
  }
  return out;
}

auto bid_order = [](const nx::Bid& a, const nx::Bid& b) {
  return std::tie(a.date_time, a.auction, a.bidder, a.price) <
         std::tie(b.date_time, b.auction, b.bidder, b.price);
};

template <class Row>
std::vector<Row> sorted(std::vector<Row> rows) {
  if constexpr (std::is_same_v<Row, nx::Bid>) {
    std::sort(rows.begin(), rows.end(), bid_order);
  } else {
    std::sort(rows.begin(), rows.end());
  }
  return rows;
}

// Runs query `build` with the options of `mode`, and returns its rows (on every rank the
// merged rows of rank 0's sink; empty elsewhere).
template <class Build>
auto run_query(Build build, unsigned parallelism, std::size_t batch, sw::Mode mode) {
  sw::Graph g{"nexmark"};
  using Row = typename decltype(build(g, nx::QueryOptions{}))::value_type;
  std::vector<Row> rows;
  build(g, nx::QueryOptions{.generator = {.events = kEvents}, .source_parallelism = parallelism})
      .sink("out", sw::collect(rows), {.parallelism = 1});
  const sw::RunReport report = sw::run(g, {.mode = mode, .threads = 2, .batch_size = batch});
  for (const sw::NodeReport& n : report.nodes) CHECK(n.late_dropped == 0);
  return sorted(std::move(rows));
}

// The same check in process over random shapes, and in distributed mode.
template <class Build, class Expected>
void check_query(const char* name, Build build, const Expected& expected) {
  sw::test::Watchdog watchdog(name, std::chrono::seconds(120));
  std::mt19937 rng(Catch::rngSeed());
  for (int round = 0; round < 2; ++round) {
    const unsigned parallelism = 1 + static_cast<unsigned>(rng() % 3);
    const std::size_t batch = std::size_t{1} << (4 + rng() % 7);
    INFO(name << ": parallelism " << parallelism << ", batch " << batch);
    CHECK(run_query(build, parallelism, batch, sw::Mode::in_process) == expected);
  }
}

bool is_root() {
  return sw::cluster().rank == 0;
}

// Winning price per auction: the highest bid between its start and its expiry.
struct Win {
  std::int64_t category;
  std::int64_t seller;
  std::int64_t expires;
  std::int64_t price;
};
std::map<std::int64_t, Win> winners() {
  std::map<std::int64_t, Win> out;
  const std::vector<nx::Bid> bids = all_bids();
  for (const nx::Event& e : all_events()) {
    const nx::Auction* a = e.auction();
    if (a == nullptr) continue;
    for (const nx::Bid& b : bids) {
      if (b.auction != a->id || b.date_time < a->date_time || b.date_time > a->expires) continue;
      auto [it, fresh] = out.try_emplace(a->id, Win{a->category, a->seller, a->expires, b.price});
      if (!fresh) it->second.price = std::max(it->second.price, b.price);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("nexmark q0 passes every bid through", "[nexmark-query]") {
  REQUIRE(all_bids().size() > kEvents / 2);
  check_query("q0", nx::q0, sorted(all_bids()));
}

TEST_CASE("nexmark q1 converts every price to euro", "[nexmark-query]") {
  std::vector<nx::Bid> expected = all_bids();
  for (nx::Bid& b : expected) b.price = b.price * 908 / 1000;
  check_query("q1", nx::q1, sorted(expected));
}

TEST_CASE("nexmark q2 selects the bids of auctions divisible by 123", "[nexmark-query]") {
  std::vector<nx::Q2Row> expected;
  for (const nx::Bid& b : all_bids()) {
    if (b.auction % 123 == 0) expected.push_back({b.auction, b.price});
  }
  REQUIRE(!expected.empty());
  check_query("q2", nx::q2, sorted(expected));
}

TEST_CASE("nexmark q0-q2 run as one loop from the generator", "[nexmark-query]") {
  const auto compiled = [](auto build) {
    sw::Graph g{"nexmark"};
    g.default_parallelism(2);
    build(g, nx::QueryOptions{.generator = {.events = 100}, .source_parallelism = 2})
        .sink("out", sw::discard(), {.parallelism = 1});
    const sw::Plan plan = sw::make_plan(g, {});
    REQUIRE(plan.compiled.size() == 1);
    std::vector<std::string> names;
    for (const sw::NodeId id : plan.compiled[0]) names.push_back(g.node(id).name());
    return names;
  };
  CHECK(compiled(nx::q0) == std::vector<std::string>{"events", "event-time", "q0"});
  CHECK(compiled(nx::q1) == std::vector<std::string>{"events", "event-time", "bids", "q1"});
  CHECK(compiled(nx::q2) == std::vector<std::string>{"events", "event-time", "q2/bids", "q2"});
}

TEST_CASE("nexmark q3 joins category-10 auctions with sellers in OR, ID or CA", "[nexmark-query]") {
  std::vector<nx::Q3Row> expected;
  for (const nx::Event& ea : all_events()) {
    const nx::Auction* a = ea.auction();
    if (a == nullptr || a->category != 10) continue;
    for (const nx::Event& ep : all_events()) {
      const nx::Person* p = ep.person();
      if (p == nullptr || p->id != a->seller) continue;
      if (p->state == "OR" || p->state == "ID" || p->state == "CA") {
        expected.push_back({p->name, p->city, p->state, a->id});
      }
    }
  }
  REQUIRE(!expected.empty());
  check_query("q3", nx::q3, sorted(expected));
}

TEST_CASE("nexmark q4 averages the winning prices per category", "[nexmark-query]") {
  std::map<std::int64_t, std::pair<std::int64_t, std::uint64_t>> sums;
  for (const auto& [id, w] : winners()) {
    sums[w.category].first += w.price;
    ++sums[w.category].second;
  }
  std::vector<nx::Q4Row> expected;
  for (const auto& [category, s] : sums) {
    expected.push_back({category, static_cast<double>(s.first) / static_cast<double>(s.second)});
  }
  REQUIRE(expected.size() == 5);
  check_query("q4", nx::q4, sorted(expected));
}

TEST_CASE("nexmark q5 finds the most-bid auctions of every sliding window", "[nexmark-query]") {
  std::map<std::int64_t, std::map<std::int64_t, std::uint64_t>> counts;  // start -> auction -> n
  for (const nx::Bid& b : all_bids()) {
    for (std::int64_t start = b.date_time / 2000 * 2000; start > b.date_time - 10000;
         start -= 2000) {
      ++counts[start][b.auction];
    }
  }
  std::vector<nx::Q5Row> expected;
  for (const auto& [start, per_auction] : counts) {
    std::uint64_t most = 0;
    for (const auto& [auction, n] : per_auction) most = std::max(most, n);
    for (const auto& [auction, n] : per_auction) {
      if (n == most) expected.push_back({auction, n, start, start + 10000});
    }
  }
  REQUIRE(!expected.empty());
  check_query("q5", nx::q5, sorted(expected));
}

TEST_CASE("nexmark q6 averages each seller's last 10 winning prices", "[nexmark-query]") {
  std::map<std::int64_t, std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>>> closed;
  for (const auto& [id, w] : winners()) closed[w.seller].emplace_back(w.expires, id, w.price);
  std::vector<nx::Q6Row> expected;
  for (auto& [seller, list] : closed) {
    std::sort(list.begin(), list.end());
    const std::size_t first = list.size() > 10 ? list.size() - 10 : 0;
    std::int64_t sum = 0;
    for (std::size_t i = first; i < list.size(); ++i) sum += std::get<2>(list[i]);
    expected.push_back(
        {seller, static_cast<double>(sum) / static_cast<double>(list.size() - first)});
  }
  REQUIRE(!expected.empty());
  check_query("q6", nx::q6, sorted(expected));
}

TEST_CASE("nexmark q7 keeps the highest bids of every 10 s window", "[nexmark-query]") {
  std::map<std::int64_t, std::vector<nx::Bid>> windows;
  for (const nx::Bid& b : all_bids()) windows[b.date_time / 10000].push_back(b);
  std::vector<nx::Bid> expected;
  for (const auto& [w, bids] : windows) {
    std::int64_t most = 0;
    for (const nx::Bid& b : bids) most = std::max(most, b.price);
    for (const nx::Bid& b : bids) {
      if (b.price == most) expected.push_back(b);
    }
  }
  REQUIRE(!expected.empty());
  check_query("q7", nx::q7, sorted(expected));
}

TEST_CASE("nexmark q8 finds persons who opened an auction in the window they joined",
          "[nexmark-query]") {
  std::set<std::pair<std::int64_t, std::int64_t>> sellers;  // (window start, seller)
  for (const nx::Event& e : all_events()) {
    if (const nx::Auction* a = e.auction())
      sellers.emplace(a->date_time / 10000 * 10000, a->seller);
  }
  std::vector<nx::Q8Row> expected;
  for (const nx::Event& e : all_events()) {
    const nx::Person* p = e.person();
    if (p == nullptr) continue;
    const std::int64_t start = p->date_time / 10000 * 10000;
    if (sellers.contains({start, p->id})) expected.push_back({p->id, p->name, start});
  }
  REQUIRE(!expected.empty());
  check_query("q8", nx::q8, sorted(expected));
}

// Under mpirun (CTest: distributed/nexmark_np2) every rank runs this; rank 0 checks that the
// distributed rows equal the in-process ones, query by query.
TEST_CASE("nexmark queries give the same rows distributed as in process", "[distributed]") {
  sw::test::Watchdog watchdog("nexmark distributed", std::chrono::seconds(240));
  const auto same = [](const char* name, auto build) {
    INFO(name);
    const auto local = run_query(build, 2, 256, sw::Mode::in_process);
    const auto distributed = run_query(build, 2, 256, sw::Mode::distributed);
    if (is_root()) CHECK(distributed == local);
  };
  same("q0", nx::q0);
  same("q1", nx::q1);
  same("q2", nx::q2);
  same("q3", nx::q3);
  same("q4", nx::q4);
  same("q5", nx::q5);
  same("q6", nx::q6);
  same("q7", nx::q7);
  same("q8", nx::q8);
}
