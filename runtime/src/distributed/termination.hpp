// Internal: how a distributed run ends. Once every local task is done and everything it
// posted was sent, a rank tells each peer how many messages it sent it (MPI_Ialltoall); the
// run is over on this rank when that many arrived from each and nothing is under way. A rank
// that fails or is cancelled tells every peer first (an abort message), so that they stop
// instead of waiting for its data. Communication thread only.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "../run_context.hpp"
#include "mpi_transport.hpp"

namespace sw::runtime {

class Termination {
 public:
  Termination(MpiTransport& transport, RunContext& run, unsigned rank, unsigned ranks);

  // If the run failed or was cancelled on this rank (not by a peer): an abort to every peer,
  // once, and not after the sends were closed.
  void send_abort_if_failed();
  // A peer's abort: cancels the run (the peer was cancelled) or fails it with RemoteFailure.
  void on_abort(int peer, const AbortMessage& abort);
  // Once `finishing` (every local task done): closes this rank's sends and starts the
  // exchange of message counts. True when it did so now.
  bool close_sends(bool finishing);
  // Whether this rank sends nothing more (the peers know how many messages to expect).
  [[nodiscard]] bool sends_closed() const noexcept { return sends_closed_; }
  // Whether the sends are closed and every message the peers sent arrived.
  [[nodiscard]] bool everything_arrived();

 private:
  MpiTransport* transport_;
  RunContext* run_;
  unsigned rank_;
  unsigned ranks_;
  std::vector<std::uint64_t> sent_;      // the counts as they were when the sends closed
  std::vector<std::uint64_t> expected_;  // what each peer says it sent us
  MPI_Request alltoall_ = MPI_REQUEST_NULL;
  bool sends_closed_ = false;
  bool counts_known_ = false;
  bool abort_sent_ = false;
  bool remote_cancel_ = false;  // a peer's abort or cancellation arrived
};

}  // namespace sw::runtime
