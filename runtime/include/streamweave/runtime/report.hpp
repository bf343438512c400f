// What a run did: per node counters and times, totals and throughput (sw::run returns it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "streamweave/runtime/distributed_report.hpp"
#include "streamweave/runtime/node_report.hpp"
#include "streamweave/serde/buffer_pool.hpp"
#include "streamweave/serde/memory_monitor.hpp"

namespace sw {

// What a run's checkpoints did (RunOptions::checkpoints).
struct CheckpointReport {
  std::uint64_t restored_from = 0;  // the checkpoint the run started from; 0: afresh
  // Newer checkpoints that could not be restored, and why (a damaged or missing file).
  std::vector<std::string> skipped;
  std::uint64_t completed = 0;  // the final one included
  std::uint64_t failed = 0;
  std::vector<std::string> errors;  // of the failed ones, the first few
  std::uint64_t last_id = 0;        // the last complete one
  double last_duration_seconds = 0;
  double last_alignment_seconds = 0;  // its longest wait for barriers
  std::uint64_t last_bytes = 0;       // of its state files
  // Checkpoints that some task passed unaligned (CheckpointOptions::alignment_timeout), and
  // the bytes of in-flight input the last complete one saved.
  std::uint64_t unaligned = 0;
  std::uint64_t last_in_flight_bytes = 0;
  // The savepoint taken when the run was stopped (CheckpointOptions::savepoint_on_stop); 0:
  // none (the run was not stopped, or the savepoint failed: see errors).
  std::uint64_t savepoint = 0;
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
  // Source steps cut to a quarter batch and followed by a 1 ms wait at high pressure, and
  // 10 ms waits at critical (summed over the sources' instances; distributed: this rank's).
  std::uint64_t source_throttles = 0;
  std::uint64_t source_pauses = 0;
  // Distributed mode: nodes, edges and events above are summed over every rank (wall time is
  // the slowest rank's, peak RSS the largest); `per_rank` has each rank's own figures.
  std::vector<EdgeReport> edges;
  std::vector<RankReport> per_rank;
  CheckpointReport checkpoints;

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
