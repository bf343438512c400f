// Internal to the NEXMark queries: what several of their files share. The queries are split
// over files so that the build compiles them in parallel (one file took 250 s under ASan).
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "queries.hpp"

namespace sw::nexmark::detail {

inline const auto bid_time = [](const Bid& b) { return b.date_time; };

// events(), keeping its chain: the steps a query adds next compile with the generator into
// one loop (engine/chain.hpp), each event going through them as it is made.
inline auto chained_events(Graph& g, const QueryOptions& options) {
  NodeOptions node;
  node.parallelism = options.source_parallelism;
  return g.source("events", source(options.generator), node)
      .with_watermarks("event-time", [](const Event& e) { return e.date_time(); },
                       {.out_of_orderness = options.out_of_orderness});
}

// The event's bid, if it is one: `events.flat_map(name, bid_in)` is the bids of `events` (this
// form of flat_map is a step of a compiled chain). The bid is moved out of the event, which
// the chain drops next: a copy would take a reference to its string and release one.
inline const auto bid_in = [](Event&& e) -> std::optional<Bid> {
  if (Bid* b = std::get_if<Bid>(&e.value)) return std::move(*b);
  return std::nullopt;
};

// A bid that may win an auction: it came between the auction's start and its expiry.
struct Candidate {
  std::int64_t auction = 0;
  std::int64_t category = 0;
  std::int64_t seller = 0;
  EventTime expires = 0;
  std::int64_t price = 0;
};

// The winning (highest) price of every auction that had a bid in time, final at end of stream,
// as nodes named after `prefix` (q4 and q6).
Stream<KeyValue<std::int64_t, Candidate>> winning_bids(Graph& g, const QueryOptions& options,
                                                       const std::string& prefix);

}  // namespace sw::nexmark::detail
