#include "queries.hpp"

#include "query_parts.hpp"

#include <utility>

namespace sw::nexmark {

using detail::bid_in;
using detail::chained_events;

Stream<Event> events(Graph& g, const QueryOptions& options) {
  return chained_events(g, options);
}

Stream<Bid> q0(Graph& g, const QueryOptions& options) {
  return chained_events(g, options).flat_map("q0", bid_in);
}

Stream<Bid> q1(Graph& g, const QueryOptions& options) {
  return chained_events(g, options).flat_map("bids", bid_in).map("q1", [](Bid b) {
    b.price = b.price * 908 / 1000;
    return b;
  });
}

Stream<Q2Row> q2(Graph& g, const QueryOptions& options) {
  return chained_events(g, options)
      .filter("q2/bids",
              [](const Event& e) {
                const Bid* b = e.bid();
                return b != nullptr && b->auction % 123 == 0;
              })
      .map("q2", [](const Event& e) {
        return Q2Row{e.bid()->auction, e.bid()->price};
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
