// Distributed mode (docs/distributed.md): one Graph across the MPI ranks the
// program was started on (`mpirun -np N prog`, a hostfile, or Slurm's `srun`). Every rank
// builds the same graph and calls run() on it with Mode::distributed (SPMD). Instance i of
// every node runs on rank i % ranks; forward edges stay on their rank, zero-copy; exchange
// edges (hash, rebalance, broadcast, gather) carry frames of bytes: over MPI between ranks,
// handed over in memory within one. A program started without mpirun is a single rank that
// still encodes and decodes every exchange.
#pragma once

#include <string>
#include <vector>

#include "streamweave/engine/graph.hpp"
#include "streamweave/runtime/distributed_errors.hpp"
#include "streamweave/runtime/distributed_options.hpp"
#include "streamweave/runtime/options.hpp"
#include "streamweave/runtime/report.hpp"

namespace sw {

struct ClusterInfo {
  unsigned rank = 0;
  unsigned ranks = 1;
  unsigned ranks_on_host = 1;  // ranks sharing this machine (they share its cores)
  unsigned cpus = 1;           // hardware threads this rank may run on (its affinity mask)
  unsigned cpus_on_host = 1;   // ... that the ranks on this machine may run on, together
  bool mpi = false;            // false: not launched by mpirun/srun; one rank, no MPI
  std::string host;
  // By rank: the lowest rank on that rank's machine, so ranks with equal values share one.
  std::vector<unsigned> host_of_rank{0};

  // True when rank `other` runs on this rank's machine (this rank included).
  [[nodiscard]] bool on_this_host(unsigned other) const noexcept {
    return other < host_of_rank.size() && host_of_rank[other] == host_of_rank[rank];
  }
};

// This process's place among the ranks. The first call starts the communication thread,
// which initialises MPI (MPI_THREAD_FUNNELED) when the program was launched by mpirun or
// srun, and finalises it at exit. Any thread.
[[nodiscard]] const ClusterInfo& cluster();

// Runs `graph` across the ranks; every rank must call it, with the same graph and options.
// Returns the merged report (per_rank holds each rank's). Throws GraphError before starting
// (on every rank) for a malformed graph, an exchanged type without a binary codec, or ranks
// that built different graphs. When a rank fails, every rank stops: the failing one throws
// its error (NodeError names rank and node), the others throw RemoteFailure.
// Most programs call sw::run with RunOptions::mode = Mode::distributed.
RunReport run_distributed(const Graph& graph, const RunOptions& options);

}  // namespace sw
