// Keyed joins: regular (unbounded), interval and window joins against a plain nested-loop
// computation over the same items, with randomised parallelism and batch sizes.
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include <algorithm>
#include <optional>
#include <random>
#include <tuple>
#include <variant>
#include <vector>

#include "support/helpers.hpp"
#include "support/watchdog.hpp"

namespace {

struct Order {
  std::uint32_t customer = 0;
  std::int64_t time = 0;
  std::uint32_t id = 0;
};
struct Payment {
  std::uint32_t customer = 0;
  std::int64_t time = 0;
  std::uint32_t id = 0;
};

Order order(std::uint64_t i) {
  return Order{static_cast<std::uint32_t>((i * 7919) % 40), static_cast<std::int64_t>(i * 10),
               static_cast<std::uint32_t>(i)};
}
Payment payment(std::uint64_t i) {
  return Payment{static_cast<std::uint32_t>((i * 104729) % 40),
                 static_cast<std::int64_t>(i * 7 + (i % 13)), static_cast<std::uint32_t>(i)};
}

constexpr std::uint64_t kOrders = 1500;
constexpr std::uint64_t kPayments = 2000;

using Pair = std::pair<std::uint32_t, std::uint32_t>;  // order id, payment id

template <class Pred>
std::vector<Pair> expected_pairs(Pred pred) {
  std::vector<Pair> out;
  for (std::uint64_t i = 0; i < kOrders; ++i) {
    for (std::uint64_t j = 0; j < kPayments; ++j) {
      const Order o = order(i);
      const Payment p = payment(j);
      if (o.customer == p.customer && pred(o, p)) out.emplace_back(o.id, p.id);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Setup {
  unsigned left;
  unsigned right;
  unsigned join;
  std::size_t batch;
};

template <class Build>
void for_random_setups(Build build) {
  std::mt19937 rng(Catch::rngSeed());
  for (int round = 0; round < 3; ++round) {
    const Setup s{1 + static_cast<unsigned>(rng() % 3), 1 + static_cast<unsigned>(rng() % 3),
                  1 + static_cast<unsigned>(rng() % 3), 1 + rng() % 300};
    INFO("parallelism " << s.left << "/" << s.right << "/" << s.join << ", batch " << s.batch);
    build(s);
  }
}

auto order_key = [](const Order& o) { return o.customer; };
auto order_time = [](const Order& o) { return o.time; };
auto payment_time = [](const Payment& p) { return p.time; };

// Both sources with watermarks (payments come up to 12 out of order).
auto timed_sources(sw::Graph& g, const Setup& s) {
  auto orders = g.source("orders", sw::generate<Order>(kOrders, order),
                         {.parallelism = s.left, .batch_size = s.batch})
                    .with_watermarks("order-time", order_time);
  auto payments = g.source("payments", sw::generate<Payment>(kPayments, payment),
                           {.parallelism = s.right, .batch_size = s.batch})
                      .with_watermarks("payment-time", payment_time, {.out_of_orderness = 13});
  return std::pair{orders, payments};
}
auto payment_key = [](const Payment& p) { return p.customer; };
auto ids = [](const Order& o, const Payment& p) { return Pair{o.id, p.id}; };

// Orders and payments from one source (one instance) in time order, split, each with its
// watermarks: the two sides' watermarks advance together.
using Either = std::variant<Order, Payment>;
auto split_in_time_order(sw::Graph& g, const std::vector<Either>& events, std::size_t batch) {
  auto both = g.source("events", sw::from(events), {.parallelism = 1, .batch_size = batch});
  auto orders = both.flat_map<Order>("orders",
                                     [](const Either& e, sw::Emitter<Order>& out) {
                                       if (e.index() == 0) out(std::get<0>(e));
                                     })
                    .with_watermarks("order-time", order_time);
  auto payments = both.flat_map<Payment>("payments",
                                         [](const Either& e, sw::Emitter<Payment>& out) {
                                           if (e.index() == 1) out(std::get<1>(e));
                                         })
                      .with_watermarks("payment-time", payment_time);
  return std::pair{orders, payments};
}

}  // namespace

TEST_CASE("join pairs every two items of a key, whatever arrives first", "[join]") {
  sw::test::Watchdog watchdog("join");
  const auto expected = expected_pairs([](const Order&, const Payment&) { return true; });
  for_random_setups([&](const Setup& s) {
    sw::Graph g{"join"};
    std::vector<Pair> out;
    auto orders = g.source("orders", sw::generate<Order>(kOrders, order),
                           {.parallelism = s.left, .batch_size = s.batch});
    auto payments = g.source("payments", sw::generate<Payment>(kPayments, payment),
                             {.parallelism = s.right, .batch_size = s.batch});
    orders.join("joined", payments, order_key, payment_key, ids, {.parallelism = s.join})
        .sink("out", sw::collect(out), {.parallelism = 1});
    const sw::RunReport report = sw::run(g, {.threads = 2});
    CHECK(sw::test::sorted(out) == expected);
    CHECK(report.node("joined").state_entries == kOrders + kPayments);  // held for ever
  });
}

TEST_CASE("interval_join pairs b with time from a + lower to a + upper", "[join]") {
  sw::test::Watchdog watchdog("interval join");
  const auto expected = expected_pairs([](const Order& o, const Payment& p) {
    return p.time >= o.time - 30 && p.time <= o.time + 200;
  });
  REQUIRE(!expected.empty());
  for_random_setups([&](const Setup& s) {
    sw::Graph g{"interval"};
    std::vector<Pair> out;
    const auto [orders, payments] = timed_sources(g, s);
    orders
        .interval_join("joined", payments, order_key, payment_key, order_time, payment_time, -30,
                       200, ids, {.parallelism = s.join})
        .sink("out", sw::collect(out), {.parallelism = 1});
    const sw::RunReport report = sw::run(g, {.threads = 2});
    CHECK(sw::test::sorted(out) == expected);
    CHECK(report.node("joined").late_dropped == 0);
  });
}

TEST_CASE("interval_join holds only what a partner may still come for", "[join]") {
  // Both sides from one source in time order, so their watermarks advance together.
  std::vector<Either> events;
  for (std::uint64_t i = 0; i < 20000; ++i) {
    events.emplace_back(Order{static_cast<std::uint32_t>(i % 40), static_cast<std::int64_t>(i), 0});
    events.emplace_back(
        Payment{static_cast<std::uint32_t>(i % 40), static_cast<std::int64_t>(i), 0});
  }
  sw::Graph g{"bounded"};
  auto [orders, payments] = split_in_time_order(g, events, 64);
  std::uint64_t pairs = 0;
  orders
      .interval_join("joined", payments, order_key, payment_key, order_time, payment_time, 0, 100,
                     ids, {.parallelism = 1})
      .sink("out", sw::count(pairs));
  const sw::RunReport report = sw::run(g, {.threads = 2, .channel_capacity = 4});
  // Per key one item every 40: partners at +0, +40 and +80, except near the end (the last 80
  // orders have no +80, the last 40 no +40).
  CHECK(pairs == 20000 * 3 - 80 - 40);
  CHECK(report.node("joined").state_entries < 40000 / 4);
}

TEST_CASE("join_until drops each item once the watermark passes its expiry, in any order",
          "[join]") {
  sw::test::Watchdog watchdog("join expiry");
  // Per key, expiries that do not rise with time (an item may expire before the one ahead of
  // it), a first item held almost for ever, and a key that empties and comes back. What is
  // held must stay near what the last 110 time units hold, not grow with the input.
  constexpr std::int64_t kItems = 20000;
  // Customer 2 only in every other stretch of 500: its items all expire, then it comes back.
  const auto customer_at = [](std::int64_t i) {
    return static_cast<std::uint32_t>((i / 500) % 2 == 0 ? i % 3 : i % 2);
  };
  std::vector<Either> events;
  for (std::int64_t i = 0; i < kItems; ++i) {
    events.emplace_back(Order{customer_at(i), i, static_cast<std::uint32_t>(i)});
    events.emplace_back(Payment{customer_at(i), i, static_cast<std::uint32_t>(i)});
  }
  const auto expiry = [](std::int64_t time, std::uint32_t id) {
    return id == 0 ? sw::kMaxEventTime - 1 : time + 50 + (id % 7) * 10;
  };
  std::vector<Pair> expected;
  for (std::int64_t i = 0; i < kItems; ++i) {
    for (std::int64_t j = std::max<std::int64_t>(0, i - 20); j <= std::min(kItems - 1, i + 20);
         ++j) {
      if (customer_at(i) == customer_at(j)) {
        expected.emplace_back(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j));
      }
    }
  }
  std::sort(expected.begin(), expected.end());

  // Batches of 2 to 64, not 1: the source's round robin would then send every order to the
  // first `orders` instance and every payment to the second `payments` instance. The other
  // instance of each side sees no item, makes no watermark and holds the join back until the
  // end, as docs/event_time.md says (RunOptions::idle_timeout is the way out).
  std::mt19937 rng(Catch::rngSeed());
  const std::size_t batch = 2 + rng() % 63;
  INFO("batch " << batch);
  sw::Graph g{"expiry"};
  auto [orders, payments] = split_in_time_order(g, events, batch);
  std::vector<Pair> out;
  orders
      .join_until(
          "joined", payments, order_key, payment_key,
          [](const Order& o, const Payment& p) -> std::optional<Pair> {
            if (o.time - p.time > 20 || p.time - o.time > 20) return std::nullopt;
            return Pair{o.id, p.id};
          },
          [expiry](const Order& o) { return expiry(o.time, o.id); },
          [expiry](const Payment& p) { return expiry(p.time, p.id); }, {.parallelism = 1})
      .sink("out", sw::collect(out));
  const sw::RunReport report = sw::run(g, {.threads = 2, .channel_capacity = 4});
  CHECK(sw::test::sorted(out) == expected);
  // Two sides of at most 110 time units each, a few batches ahead of the watermark, and the
  // two items held almost for ever. Held until the first item's expiry, customer 0's items
  // alone would be over 13000.
  CHECK(report.node("joined").state_entries <= 2 * (110 + 8 * batch) + 2);
}

TEST_CASE("window_join pairs the items of a key in the same window", "[join]") {
  sw::test::Watchdog watchdog("window join");
  const auto expected = expected_pairs([](const Order& o, const Payment& p) {
    return o.time / 1000 == p.time / 1000;  // tumbling windows of 1000 from 0
  });
  for_random_setups([&](const Setup& s) {
    sw::Graph g{"window-join"};
    std::vector<Pair> out;
    const auto [orders, payments] = timed_sources(g, s);
    orders
        .window_join("joined", payments, order_key, payment_key, order_time, payment_time,
                     sw::tumbling(1000), ids, {.node = {.parallelism = s.join}})
        .sink("out", sw::collect(out), {.parallelism = 1});
    const sw::RunReport report = sw::run(g, {.threads = 2});
    CHECK(sw::test::sorted(out) == expected);
    CHECK(report.node("joined/window").late_dropped == 0);
  });
}

TEST_CASE("a join condition returning std::optional filters the pairs", "[join]") {
  const auto expected =
      expected_pairs([](const Order& o, const Payment& p) { return (o.id + p.id) % 3 == 0; });
  sw::Graph g{"condition"};
  std::vector<Pair> out;
  auto orders = g.source("orders", sw::generate<Order>(kOrders, order));
  auto payments = g.source("payments", sw::generate<Payment>(kPayments, payment));
  orders
      .join("joined", payments, order_key, payment_key,
            [](const Order& o, const Payment& p) -> std::optional<Pair> {
              if ((o.id + p.id) % 3 != 0) return std::nullopt;
              return Pair{o.id, p.id};
            })
      .sink("out", sw::collect(out), {.parallelism = 1});
  sw::run(g, {.threads = 2});
  CHECK(sw::test::sorted(out) == expected);
}
