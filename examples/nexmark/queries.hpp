// NEXMark queries q0-q8 as StreamWeave graphs, with the semantics of the Flink nexmark
// repository's SQL (nexmark-flink/src/main/resources/queries), over Beam's generator
// (sw::nexmark::source). Each function adds its query's nodes to a graph and returns the
// stream of result rows; the caller adds the sink. docs/nexmark.md says what each computes and
// where it differs from the SQL.
#pragma once

#include <boost/describe.hpp>
#include <compare>
#include <cstdint>
#include <optional>
#include <streamweave/operators/nexmark/source.hpp>
#include <streamweave/streamweave.hpp>
#include <string>
#include <vector>

namespace sw::nexmark {

struct QueryOptions {
  GeneratorConfig generator{};
  std::optional<unsigned> source_parallelism{};  // default: the graph's
  EventTime out_of_orderness = 4000;             // Flink's WATERMARK dateTime - 4 s
};

// q1: price in euro, price * 0.908 truncated to whole cents (Flink keeps DECIMAL(23, 3)).
// q0 and q7 return the bids themselves.
struct Q2Row {
  std::int64_t auction = 0;
  std::int64_t price = 0;
  friend auto operator<=>(const Q2Row&, const Q2Row&) = default;
};
struct Q3Row {
  Symbol name;
  Symbol city;
  Symbol state;
  std::int64_t id = 0;  // the auction
  friend bool operator==(const Q3Row&, const Q3Row&) = default;
  friend auto operator<=>(const Q3Row&, const Q3Row&) = default;
};
struct Q4Row {
  std::int64_t category = 0;
  double avg = 0;  // of the winning prices of its auctions, cents
  friend auto operator<=>(const Q4Row&, const Q4Row&) = default;
};
struct Q5Row {
  std::int64_t auction = 0;
  std::uint64_t num = 0;  // bids in the window
  EventTime start = 0;
  EventTime end = 0;
  friend auto operator<=>(const Q5Row&, const Q5Row&) = default;
};
struct Q6Row {
  std::int64_t seller = 0;
  double avg = 0;  // of the seller's last 10 winning prices, cents
  friend auto operator<=>(const Q6Row&, const Q6Row&) = default;
};
struct Q8Row {
  std::int64_t id = 0;
  Symbol name;
  EventTime start = 0;
  friend bool operator==(const Q8Row&, const Q8Row&) = default;
  friend auto operator<=>(const Q8Row&, const Q8Row&) = default;
};

// The generator's events with watermarks (dateTime - out_of_orderness).
[[nodiscard]] Stream<Event> events(Graph& g, const QueryOptions& options);

[[nodiscard]] Stream<Bid> q0(Graph& g, const QueryOptions& options);
[[nodiscard]] Stream<Bid> q1(Graph& g, const QueryOptions& options);
[[nodiscard]] Stream<Q2Row> q2(Graph& g, const QueryOptions& options);
[[nodiscard]] Stream<Q3Row> q3(Graph& g, const QueryOptions& options);
[[nodiscard]] Stream<Q4Row> q4(Graph& g, const QueryOptions& options);
[[nodiscard]] Stream<Q5Row> q5(Graph& g, const QueryOptions& options);
[[nodiscard]] Stream<Q6Row> q6(Graph& g, const QueryOptions& options);
[[nodiscard]] Stream<Bid> q7(Graph& g, const QueryOptions& options);
[[nodiscard]] Stream<Q8Row> q8(Graph& g, const QueryOptions& options);

// Query names "q0" ... "q8" with a one-line description each.
struct QueryInfo {
  std::string name;
  std::string description;
};
[[nodiscard]] const std::vector<QueryInfo>& queries();

BOOST_DESCRIBE_STRUCT(Q2Row, (), (auction, price))
BOOST_DESCRIBE_STRUCT(Q3Row, (), (name, city, state, id))
BOOST_DESCRIBE_STRUCT(Q4Row, (), (category, avg))
BOOST_DESCRIBE_STRUCT(Q5Row, (), (auction, num, start, end))
BOOST_DESCRIBE_STRUCT(Q6Row, (), (seller, avg))
BOOST_DESCRIBE_STRUCT(Q8Row, (), (id, name, start))

}  // namespace sw::nexmark
