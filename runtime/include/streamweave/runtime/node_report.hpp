// What one node did in a run: its counters and times, summed over its instances.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "streamweave/engine/latency.hpp"

namespace sw {

struct NodeReport {
  std::string name;
  std::string op;
  unsigned parallelism = 1;
  std::size_t chain = 0;  // nodes with the same chain ran fused in one task per instance
  std::uint64_t items_in = 0;
  std::uint64_t items_out = 0;
  std::uint64_t batches_in = 0;
  std::uint64_t batches_out = 0;
  std::uint64_t errors_skipped = 0;
  std::uint64_t retries = 0;
  std::uint64_t dead_lettered = 0;
  std::uint64_t late_dropped = 0;    // event time: items that came after their windows closed
  std::uint64_t state_entries = 0;   // keyed state: the most entries held (summed over instances)
  std::uint64_t state_bytes = 0;     // ... and the most bytes (approximate, summed likewise)
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

}  // namespace sw
