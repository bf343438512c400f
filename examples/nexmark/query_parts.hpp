// Internal to the NEXMark queries: what several of their files share. The queries are split
// over files so that the build compiles them in parallel (one file took 250 s under ASan).
#pragma once

#include <string>

#include "queries.hpp"

namespace sw::nexmark::detail {

inline const auto bid_time = [](const Bid& b) { return b.date_time; };

// The bids of `events`, as node `name`.
Stream<Bid> bids_of(const Stream<Event>& events, const std::string& name);

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
