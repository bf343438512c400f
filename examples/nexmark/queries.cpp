#include "queries.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

namespace sw::nexmark {
namespace {

auto bid_time = [](const Bid& b) { return b.date_time; };

Stream<Bid> bids_of(const Stream<Event>& events, const std::string& name) {
  return events.flat_map<Bid>(name, [](const Event& e, Emitter<Bid>& out) {
    if (const Bid* b = e.bid()) out(*b);
  });
}

// A bid that may win an auction: it came between the auction's start and its expiry.
struct Candidate {
  std::int64_t auction = 0;
  std::int64_t category = 0;
  std::int64_t seller = 0;
  EventTime expires = 0;
  std::int64_t price = 0;
};

// The winning (highest) price of every auction that had a bid in time (Flink's q4/q6
// subquery: auction JOIN bid ON id = auction AND dateTime BETWEEN auction's dateTime AND
// expires, MAX(price) GROUP BY auction), final at end of stream.
Stream<KeyValue<std::int64_t, Candidate>> winning_bids(Graph& g, const QueryOptions& options,
                                                       const std::string& prefix) {
  const Stream<Event> all = events(g, options);
  auto auctions =
      all.flat_map<Auction>(prefix + "/auctions", [](const Event& e, Emitter<Auction>& out) {
        if (const Auction* a = e.auction()) out(*a);
      });
  auto bids = bids_of(all, prefix + "/bids");
  return auctions
      .join_until(
          prefix + "/join", bids, [](const Auction& a) { return a.id; },
          [](const Bid& b) { return b.auction; },
          [](const Auction& a, const Bid& b) -> std::optional<Candidate> {
            if (b.date_time < a.date_time || b.date_time > a.expires) return std::nullopt;
            return Candidate{a.id, a.category, a.seller, a.expires, b.price};
          },
          // An auction takes bids until it expires; a bid can only fall into an auction that
          // started before it, and every later auction starts after the watermark.
          [](const Auction& a) { return a.expires; }, [](const Bid& b) { return b.date_time; })
      .key_by([](const Candidate& c) { return c.auction; })
      .aggregate(prefix + "/max", Candidate{},
                 [](Candidate best, const Candidate& c) { return c.price > best.price ? c : best; },
                 {.emit = Emit::at_end});
}

}  // namespace

Stream<Event> events(Graph& g, const QueryOptions& options) {
  NodeOptions node;
  node.parallelism = options.source_parallelism;
  return g.source("events", source(options.generator), node)
      .with_watermarks("event-time", [](const Event& e) { return e.date_time(); },
                       {.out_of_orderness = options.out_of_orderness});
}

Stream<Bid> q0(Graph& g, const QueryOptions& options) {
  return bids_of(events(g, options), "q0");
}

Stream<Bid> q1(Graph& g, const QueryOptions& options) {
  return bids_of(events(g, options), "bids").map("q1", [](Bid b) {
    b.price = b.price * 908 / 1000;
    return b;
  });
}

Stream<Q2Row> q2(Graph& g, const QueryOptions& options) {
  return events(g, options).flat_map<Q2Row>("q2", [](const Event& e, Emitter<Q2Row>& out) {
    const Bid* b = e.bid();
    if (b != nullptr && b->auction % 123 == 0) out(Q2Row{b->auction, b->price});
  });
}

Stream<Q3Row> q3(Graph& g, const QueryOptions& options) {
  const Stream<Event> all = events(g, options);
  auto auctions = all.flat_map<Auction>("q3/auctions", [](const Event& e, Emitter<Auction>& out) {
    const Auction* a = e.auction();
    if (a != nullptr && a->category == 10) out(*a);
  });
  auto persons = all.flat_map<Person>("q3/persons", [](const Event& e, Emitter<Person>& out) {
    const Person* p = e.person();
    if (p != nullptr && (p->state == "OR" || p->state == "ID" || p->state == "CA")) out(*p);
  });
  return auctions.join(
      "q3", persons, [](const Auction& a) { return a.seller; },
      [](const Person& p) { return p.id; },
      [](const Auction& a, const Person& p) {
        return Q3Row{p.name, p.city, p.state, a.id};
      });
}

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

Stream<Q5Row> q5(Graph& g, const QueryOptions& options) {
  using Count = Windowed<std::int64_t, std::uint64_t>;
  auto counts = bids_of(events(g, options), "bids")
                    .key_by([](const Bid& b) { return b.auction; })
                    .window("q5/counts", sliding(10'000, 2'000), bid_time, agg::count());
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

Stream<Bid> q7(Graph& g, const QueryOptions& options) {
  return bids_of(events(g, options), "bids")
      .window_all(
          "q7/highest", tumbling(10'000), bid_time,
          process_window<Bid>([](AllKeys, EventTime, EventTime, std::span<const Bid> window) {
            std::int64_t most = 0;
            for (const Bid& b : window) most = std::max(most, b.price);
            std::vector<Bid> rows;
            for (const Bid& b : window) {
              if (b.price == most) rows.push_back(b);
            }
            return rows;
          }))
      .flat_map("q7", [](Windowed<AllKeys, std::vector<Bid>> w) { return std::move(w.value); });
}

Stream<Q8Row> q8(Graph& g, const QueryOptions& options) {
  using PersonOrAuction = std::variant<Person, Auction>;
  auto both = events(g, options)
                  .flat_map<PersonOrAuction>("q8/persons-auctions",
                                             [](const Event& e, Emitter<PersonOrAuction>& out) {
                                               if (const Person* p = e.person())
                                                 out(PersonOrAuction(std::in_place_index<0>, *p));
                                               if (const Auction* a = e.auction())
                                                 out(PersonOrAuction(std::in_place_index<1>, *a));
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

const std::vector<QueryInfo>& queries() {
  static const std::vector<QueryInfo> all = {
      {"q0", "NEXMark q0 passthrough: every bid"},
      {"q1", "NEXMark q1 currency conversion: bids with price * 0.908"},
      {"q2", "NEXMark q2 selection: (auction, price) of bids with auction % 123 == 0"},
      {"q3", "NEXMark q3 local item suggestion: category-10 auctions joined with OR/ID/CA sellers"},
      {"q4", "NEXMark q4 average winning price per category"},
      {"q5", "NEXMark q5 hot items: most-bid auctions per 10 s window sliding by 2 s"},
      {"q6", "NEXMark q6 average of each seller's last 10 winning prices"},
      {"q7", "NEXMark q7 highest bids per 10 s window"},
      {"q8", "NEXMark q8 new users: persons who opened an auction in the 10 s window they joined"},
  };
  return all;
}

}  // namespace sw::nexmark
