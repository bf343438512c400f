// Distributed mode's share of a run's report: the traffic of each exchange edge and each
// rank's own figures (RunReport::edges, RunReport::per_rank).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "streamweave/runtime/node_report.hpp"

namespace sw {

// Distributed mode: what crossed one exchange edge (frames between ranks, or handed over in
// memory within one).
struct EdgeReport {
  std::string from;
  std::string to;
  std::string partitioning;
  std::uint64_t frames_sent = 0;
  std::uint64_t bytes_sent = 0;  // frames with headers, to this rank or others
  std::uint64_t frames_received = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t remote_frames_sent = 0;  // of frames_sent, those that went to another rank
  double encode_seconds = 0;
  double decode_seconds = 0;
  std::uint64_t credit_stalls = 0;          // times a producer parked for want of credit
  std::uint64_t peak_frames_in_flight = 0;  // on one channel, to another rank

  // Adds the same edge's traffic elsewhere (another rank); the peak is the larger one.
  EdgeReport& operator+=(const EdgeReport& other) noexcept;
};

// Distributed mode: one rank's share of a run.
struct RankReport {
  std::uint32_t rank = 0;
  std::string host;
  std::uint32_t threads = 0;
  std::uint64_t tasks = 0;
  std::uint64_t events = 0;
  double wall_seconds = 0;
  std::uint64_t peak_rss_bytes = 0;
  std::vector<NodeReport> nodes;
  std::vector<EdgeReport> edges;
  std::string error;  // empty unless this rank failed
  bool cancelled = false;
};

}  // namespace sw
