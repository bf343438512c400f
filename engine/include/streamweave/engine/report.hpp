// What a run did: per node counters and times, totals and throughput.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "streamweave/engine/latency.hpp"
#include "streamweave/serde/buffer_pool.hpp"
#include "streamweave/serde/memory_monitor.hpp"

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

struct RunReport {
  enum class Status : std::uint8_t { completed, cancelled };

  std::string graph;
  Status status = Status::completed;
  std::string mode = "inprocess";  // or "distributed"
  unsigned rank = 0;               // the rank that returned this report
  unsigned ranks = 1;
  unsigned threads = 0;
  std::size_t tasks = 0;
  std::vector<NodeReport> nodes;
  std::uint64_t events = 0;  // items emitted by all sources
  double wall_seconds = 0;
  double events_per_second = 0;
  std::uint64_t batches_acquired = 0;
  std::uint64_t batches_created = 0;
  // The buffer pool the batches' storage came from: counters over this run (with the global
  // pool, what changed while the run was on), bytes kept and handed out at the end.
  BufferPoolStats buffer_pool;
  MemoryPressure memory_pressure = MemoryPressure::normal;  // the worst level sampled
  std::size_t peak_rss_bytes = 0;
  // Distributed mode: nodes, edges and events above are summed over every rank (wall time is
  // the slowest rank's, peak RSS the largest); `per_rank` has each rank's own figures.
  std::vector<EdgeReport> edges;
  std::vector<RankReport> per_rank;

  // Share of batches that came from a pool's free list rather than a fresh allocation.
  [[nodiscard]] double batch_reuse_rate() const noexcept {
    return batches_acquired == 0
               ? 0.0
               : 1.0 - static_cast<double>(batches_created) / static_cast<double>(batches_acquired);
  }
  // The report of node `name`; throws std::out_of_range if there is none.
  [[nodiscard]] const NodeReport& node(std::string_view name) const;
  // A human-readable table: one line per node, then the totals.
  [[nodiscard]] std::string summary() const;
};

}  // namespace sw
