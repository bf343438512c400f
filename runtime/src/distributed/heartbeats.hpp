// Internal: failure detection between ranks. Each rank's communication thread sends every
// peer an empty message on a communicator of its own every interval, and counts a peer as
// lost when nothing at all has come from it for the timeout: a rank that is stopped, hung or
// cut off from the network never exits, so mpirun would wait for it forever. At the end each
// rank sends a last heartbeat and takes every peer's, so that none is left unreceived.
// Thread safety: the communication thread only.
#pragma once

#include <mpi.h>

#include <chrono>
#include <string>
#include <vector>

#include "streamweave/runtime/options.hpp"

namespace sw::runtime {

class Heartbeats {
 public:
  // `hosts`: each rank's host name, for the error.
  Heartbeats(MPI_Comm comm, unsigned rank, std::chrono::milliseconds interval,
             std::chrono::milliseconds timeout, std::vector<std::string> hosts);
  Heartbeats(const Heartbeats&) = delete;
  Heartbeats& operator=(const Heartbeats&) = delete;

  // Sends the heartbeats that are due, takes those that came, and checks every peer's
  // silence; at most every few milliseconds however often it is called. Throws PeerLost.
  void pump(Clock::time_point now);
  // Something came from `peer` (any message shows it is alive).
  void heard(int peer, Clock::time_point now) noexcept;
  // Sends every peer the last heartbeat; pump() then only takes theirs.
  void close();
  // True once close() ran and every peer's last heartbeat came, and this rank's went out.
  [[nodiscard]] bool drained();

 private:
  void take(Clock::time_point now);
  void send_due(Clock::time_point now);

  MPI_Comm comm_;
  unsigned rank_;
  Clock::duration interval_;
  Clock::duration timeout_;
  std::vector<std::string> hosts_;
  std::vector<Clock::time_point> last_heard_;
  std::vector<bool> peer_closed_;
  std::vector<MPI_Request> sends_;       // by peer: the heartbeat in flight, if any
  std::vector<MPI_Request> last_sends_;  // by peer: the last heartbeat
  Clock::time_point next_send_{};
  Clock::time_point next_check_{};
  bool closed_ = false;
};

}  // namespace sw::runtime
