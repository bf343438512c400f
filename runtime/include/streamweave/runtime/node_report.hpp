// What one node did in a run: its counters and times, summed over its instances.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "streamweave/engine/counters.hpp"
#include "streamweave/engine/latency.hpp"
#include "streamweave/serde/binary.hpp"

namespace sw {

// The counters (items_in, items_out, ...: engine/counters.hpp) summed over the node's
// instances, and what the runtime measured of them.
struct NodeReport : NodeCounters {
  std::string name;
  std::string op;
  unsigned parallelism = 1;
  std::size_t chain = 0;             // nodes with the same chain ran fused in one task per instance
  double busy_seconds = 0;           // summed over instances; fused nodes share their chain's time
  double blocked_seconds = 0;        // parked with a full output channel (backpressure)
  std::vector<std::uint32_t> ranks;  // distributed mode: the rank of each instance
  LatencyHistogram latency;          // measure_latency nodes: end-to-end latency of their items
  // Of the errors skipped, the first few (at most kErrorsNamed per instance and rank), each
  // "item <n>: <what>" — for a line of a file, what names the file, line and byte offset.
  std::vector<std::string> first_errors;

  // Adds the counters and times of the same node's share elsewhere (another rank).
  NodeReport& operator+=(const NodeReport& other) noexcept;
};
BOOST_DESCRIBE_STRUCT(NodeReport, (NodeCounters),
                      (name, op, parallelism, chain, busy_seconds, blocked_seconds, ranks, latency,
                       first_errors))

// The binary codec of a report, for sending it between ranks: every described member, the
// counters first.
void sw_encode(BinaryWriter& w, const NodeReport& report);
void sw_decode(BinaryReader& r, NodeReport& report);

}  // namespace sw
