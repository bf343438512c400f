// Distributed mode's errors: a bad frame from a peer, a peer lost, a peer that failed. Each
// names the rank (and host or edge) it is about.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

namespace sw {

// Distributed mode: a frame could not be taken in — corrupt, truncated, of another type or
// out of sequence. Names the peer rank it came from and the edge.
class ExchangeError : public std::runtime_error {
 public:
  ExchangeError(unsigned rank, int peer_rank, std::string edge, const std::string& message)
      : std::runtime_error("rank " + std::to_string(rank) + ": bad frame from rank " +
                           std::to_string(peer_rank) + " on edge " + edge + ": " + message),
        peer_rank_(peer_rank),
        edge_(std::move(edge)) {}
  [[nodiscard]] int peer_rank() const noexcept { return peer_rank_; }
  [[nodiscard]] const std::string& edge() const noexcept { return edge_; }

 private:
  int peer_rank_;
  std::string edge_;
};

// Distributed mode: a peer rank fell silent — stopped, hung, or cut off from the network —
// for longer than DistributedOptions::heartbeat_timeout. Thrown by run() on the ranks that
// noticed; the job cannot end in order (its MPI would wait for the lost rank), so a program
// that catches it should exit, which makes mpirun end the other ranks.
class PeerLost : public std::runtime_error {
 public:
  PeerLost(unsigned rank, std::string host, double silent_seconds, double timeout_seconds)
      : std::runtime_error(describe(rank, host, silent_seconds, timeout_seconds)),
        rank_(rank),
        host_(std::move(host)) {}
  [[nodiscard]] unsigned rank() const noexcept { return rank_; }
  [[nodiscard]] const std::string& host() const noexcept { return host_; }

 private:
  static std::string describe(unsigned rank, const std::string& host, double silent,
                              double timeout) {
    char seconds[64];
    std::snprintf(seconds, sizeof seconds, "%.1f s (the heartbeat timeout is %.1f s)", silent,
                  timeout);
    return "rank " + std::to_string(rank) + " on host " + host + " sent nothing for " + seconds +
           ": it was stopped, hung, or lost its network; the job ends";
  }
  unsigned rank_;
  std::string host_;
};

// Distributed mode: another rank failed, so this one stopped too. The failing rank throws
// the error itself; the others throw this, carrying its rank and message, so a program can
// print the error once (where it happened) and still exit non-zero everywhere.
class RemoteFailure : public std::runtime_error {
 public:
  RemoteFailure(unsigned rank, std::string message)
      : std::runtime_error("rank " + std::to_string(rank) + " failed: " + message),
        rank_(rank),
        message_(std::move(message)) {}
  [[nodiscard]] unsigned rank() const noexcept { return rank_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  unsigned rank_;
  std::string message_;
};

}  // namespace sw
