// NEXMark q4 and q6: the winning bid of every auction, then an aggregate per category or seller.
#include <algorithm>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "queries.hpp"
#include "query_parts.hpp"

namespace sw::nexmark {

namespace {
// What the join reads of an auction and of a bid: only these columns cross the exchange and
// are held in the join's state, not the strings (Flink's planner projects them likewise).
struct AuctionTerms {
  std::int64_t id = 0;
  std::int64_t category = 0;
  std::int64_t seller = 0;
  std::int64_t date_time = 0;
  std::int64_t expires = 0;
  friend bool operator==(const AuctionTerms&, const AuctionTerms&) = default;
};
BOOST_DESCRIBE_STRUCT(AuctionTerms, (), (id, category, seller, date_time, expires))
struct BidPrice {
  std::int64_t auction = 0;
  std::int64_t price = 0;
  std::int64_t date_time = 0;
  friend bool operator==(const BidPrice&, const BidPrice&) = default;
};
BOOST_DESCRIBE_STRUCT(BidPrice, (), (auction, price, date_time))
}  // namespace

namespace detail {

// The winning (highest) price of every auction that had a bid in time (Flink's q4/q6
// subquery: auction JOIN bid ON id = auction AND dateTime BETWEEN auction's dateTime AND
// expires, MAX(price) GROUP BY auction), final at end of stream.
Stream<KeyValue<std::int64_t, Candidate>> winning_bids(Graph& g, const QueryOptions& options,
                                                       const std::string& prefix) {
  const Stream<Event> all = events(g, options);
  auto auctions =
      all.flat_map(prefix + "/auctions", [](const Event& e) -> std::optional<AuctionTerms> {
        const Auction* a = e.auction();
        if (a == nullptr) return std::nullopt;
        return AuctionTerms{a->id, a->category, a->seller, a->date_time, a->expires};
      });
  auto bids = all.flat_map(prefix + "/bids", [](const Event& e) -> std::optional<BidPrice> {
    const Bid* b = e.bid();
    if (b == nullptr) return std::nullopt;
    return BidPrice{b->auction, b->price, b->date_time};
  });
  return auctions
      .join_until(
          prefix + "/join", bids, [](const AuctionTerms& a) { return a.id; },
          [](const BidPrice& b) { return b.auction; },
          [](const AuctionTerms& a, const BidPrice& b) -> std::optional<Candidate> {
            if (b.date_time < a.date_time || b.date_time > a.expires) return std::nullopt;
            return Candidate{a.id, a.category, a.seller, a.expires, b.price};
          },
          // An auction takes bids until it expires; a bid can only fall into an auction that
          // started before it, and every later auction starts after the watermark.
          [](const AuctionTerms& a) { return a.expires; },
          [](const BidPrice& b) { return b.date_time; })
      .key_by([](const Candidate& c) { return c.auction; })
      .aggregate(prefix + "/max", Candidate{},
                 [](Candidate best, const Candidate& c) { return c.price > best.price ? c : best; },
                 {.emit = Emit::at_end});
}

}  // namespace detail

using detail::Candidate;
using detail::winning_bids;

Stream<Q4Row> q4(Graph& g, const QueryOptions& options) {
  using SumCount = std::pair<std::int64_t, std::uint64_t>;
  return winning_bids(g, options, "q4")
      .key_by([](const KeyValue<std::int64_t, Candidate>& w) { return w.value.category; })
      .aggregate("q4/avg", SumCount{0, 0},
                 [](SumCount acc, const KeyValue<std::int64_t, Candidate>& w) {
                   return SumCount{acc.first + w.value.price, acc.second + 1};
                 },
                 {.emit = Emit::at_end})
      .map("q4", [](const KeyValue<std::int64_t, SumCount>& kv) {
        return Q4Row{kv.key,
                     static_cast<double>(kv.value.first) / static_cast<double>(kv.value.second)};
      });
}

Stream<Q6Row> q6(Graph& g, const QueryOptions& options) {
  using Closed = std::tuple<EventTime, std::int64_t, std::int64_t>;  // expires, auction, price
  return winning_bids(g, options, "q6")
      .key_by([](const KeyValue<std::int64_t, Candidate>& w) { return w.value.seller; })
      .aggregate("q6/closed", std::vector<Closed>{},
                 [](std::vector<Closed>& acc, const KeyValue<std::int64_t, Candidate>& w) {
                   acc.emplace_back(w.value.expires, w.value.auction, w.value.price);
                 },
                 {.emit = Emit::at_end})
      .map("q6", [](KeyValue<std::int64_t, std::vector<Closed>> kv) {
        // The last 10 auctions the seller closed, in order of closing.
        std::sort(kv.value.begin(), kv.value.end());
        const std::size_t first = kv.value.size() > 10 ? kv.value.size() - 10 : 0;
        std::int64_t sum = 0;
        for (std::size_t i = first; i < kv.value.size(); ++i) sum += std::get<2>(kv.value[i]);
        return Q6Row{kv.key,
                     static_cast<double>(sum) / static_cast<double>(kv.value.size() - first)};
      });
}

}  // namespace sw::nexmark
