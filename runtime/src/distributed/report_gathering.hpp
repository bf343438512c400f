// Internal: the collective steps of a distributed run that are not data — checking that every
// rank built the same graph before the run, and gathering every rank's report after it.
// Both without blocking in MPI where a peer may be lost: heartbeats keep being exchanged, so a
// rank that dies meanwhile is a PeerLost instead of a hang.
#pragma once

#include <mpi.h>

#include <vector>

#include "../build.hpp"
#include "../graph_fingerprint.hpp"
#include "heartbeats.hpp"
#include "streamweave/runtime/distributed_report.hpp"

namespace sw::runtime {

// Throws GraphError naming the first rank whose fingerprint differs from rank 0's.
// `fingerprints`: every rank's, by rank.
void check_same_graph(const Graph& graph, const std::vector<std::uint64_t>& fingerprints);

// Polls `request` until it completes, pumping `heartbeats` meanwhile (PeerLost when a peer
// falls silent). Communication thread.
void wait_with_heartbeats(MPI_Request& request, Heartbeats& heartbeats);

class ReportGathering {
 public:
  // This rank's report. Main thread, before the communication thread gathers.
  void set_mine(const RankReport& mine);
  // Every rank's report, over `comm`. Communication thread; collective.
  void gather(MPI_Comm comm, unsigned ranks, Heartbeats& heartbeats);
  // What gather() collected, by rank. Main thread, after the communication thread ended.
  [[nodiscard]] std::vector<RankReport> all() const;

 private:
  Bytes mine_;
  std::vector<std::byte> gathered_;
  std::vector<int> sizes_;
  std::vector<int> offsets_;
};

}  // namespace sw::runtime
