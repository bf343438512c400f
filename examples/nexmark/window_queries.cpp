// NEXMark q5, q7 and q8: the windowed queries.
#include <algorithm>
#include <optional>
#include <span>
#include <utility>
#include <variant>
#include <vector>

#include "queries.hpp"
#include "query_parts.hpp"

namespace sw::nexmark {

using detail::bid_in;
using detail::bid_time;
using detail::chained_events;

namespace {
// What q5 reads of a bid: only this crosses the exchange, not the bid's 70-odd bytes of extra
// (Flink's planner projects the same columns before its shuffle).
struct AuctionAt {
  std::int64_t auction = 0;
  std::int64_t date_time = 0;
  friend bool operator==(const AuctionAt&, const AuctionAt&) = default;
};
BOOST_DESCRIBE_STRUCT(AuctionAt, (), (auction, date_time))
}  // namespace

Stream<Q5Row> q5(Graph& g, const QueryOptions& options) {
  using Count = Windowed<std::int64_t, std::uint64_t>;
  auto counts = chained_events(g, options)
                    .flat_map("bids",
                              [](const Event& e) -> std::optional<AuctionAt> {
                                const Bid* b = e.bid();
                                if (b == nullptr) return std::nullopt;
                                return AuctionAt{b->auction, b->date_time};
                              })
                    .key_by([](const AuctionAt& b) { return b.auction; })
                    .window(
                        "q5/counts", sliding(10'000, 2'000),
                        [](const AuctionAt& b) { return b.date_time; }, agg::count());
  // The counts of one sliding window all end at the same time: a 2 s tumbling window over
  // end - 1 gathers exactly them.
  return counts
      .window_all(
          "q5/hottest", tumbling(2'000), [](const Count& c) { return c.end - 1; },
          process_window<Count>([](AllKeys, EventTime, EventTime, std::span<const Count> window) {
            std::uint64_t most = 0;
            for (const Count& c : window) most = std::max(most, c.value);
            std::vector<Q5Row> rows;
            for (const Count& c : window) {
              if (c.value == most) rows.push_back(Q5Row{c.key, c.value, c.start, c.end});
            }
            return rows;
          }))
      .flat_map("q5", [](Windowed<AllKeys, std::vector<Q5Row>> w) { return std::move(w.value); });
}

namespace {
// q7's window: the bids at the highest price so far, not every bid of the window until it
// fires (92 000 of them in 10 s at the default rate).
struct HighestBids {
  using accumulator = std::vector<Bid>;
  [[nodiscard]] accumulator create() const { return {}; }
  void add(accumulator& best, const Bid& b) const {
    if (!best.empty() && b.price < best.front().price) return;
    if (!best.empty() && b.price > best.front().price) best.clear();
    best.push_back(b);
  }
  void merge(accumulator& best, const accumulator& other) const {
    for (const Bid& b : other) add(best, b);
  }
  [[nodiscard]] accumulator result(const accumulator& best) const { return best; }
};
}  // namespace

Stream<Bid> q7(Graph& g, const QueryOptions& options) {
  return chained_events(g, options)
      .flat_map("bids", bid_in)
      .window_all("q7/highest", tumbling(10'000), bid_time, HighestBids{})
      .flat_map("q7", [](Windowed<AllKeys, std::vector<Bid>> w) { return std::move(w.value); });
}

Stream<Q8Row> q8(Graph& g, const QueryOptions& options) {
  using PersonOrAuction = std::variant<Person, Auction>;
  // A step of the generator's chain: each person or auction is moved out of its event.
  auto both = chained_events(g, options)
                  .flat_map("q8/persons-auctions", [](Event&& e) -> std::optional<PersonOrAuction> {
                    if (Person* p = std::get_if<Person>(&e.value)) {
                      return PersonOrAuction(std::in_place_index<0>, std::move(*p));
                    }
                    if (Auction* a = std::get_if<Auction>(&e.value)) {
                      return PersonOrAuction(std::in_place_index<1>, std::move(*a));
                    }
                    return std::nullopt;
                  });
  // Per person id (= the auction's seller) and 10 s window: the persons who also started an
  // auction in it.
  return both
      .key_by([](const PersonOrAuction& x) {
        return x.index() == 0 ? std::get<0>(x).id : std::get<1>(x).seller;
      })
      .window(
          "q8/window", tumbling(10'000),
          [](const PersonOrAuction& x) {
            return x.index() == 0 ? std::get<0>(x).date_time : std::get<1>(x).date_time;
          },
          process_window<PersonOrAuction>([](std::int64_t, EventTime start, EventTime,
                                             std::span<const PersonOrAuction> window) {
            std::vector<Q8Row> rows;
            const bool sold = std::any_of(window.begin(), window.end(),
                                          [](const PersonOrAuction& x) { return x.index() == 1; });
            if (!sold) return rows;
            for (const PersonOrAuction& x : window) {
              if (x.index() == 0)
                rows.push_back(Q8Row{std::get<0>(x).id, std::get<0>(x).name, start});
            }
            return rows;
          }))
      .flat_map("q8",
                [](Windowed<std::int64_t, std::vector<Q8Row>> w) { return std::move(w.value); });
}

}  // namespace sw::nexmark
