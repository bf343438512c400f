#include "heartbeats.hpp"

#include <algorithm>

#include "streamweave/engine/errors.hpp"
#include "streamweave/runtime/distributed_errors.hpp"

namespace sw::runtime {

namespace {

constexpr int kBeatTag = 1;
constexpr int kLastTag = 2;
// pump() does its work at most this often: a probe costs a lock inside MPI.
constexpr auto kCheckEvery = std::chrono::milliseconds(2);
char empty_payload = 0;

}  // namespace

Heartbeats::Heartbeats(MPI_Comm comm, unsigned rank, std::chrono::milliseconds interval,
                       std::chrono::milliseconds timeout, std::vector<std::string> hosts)
    : comm_(comm),
      rank_(rank),
      interval_(interval),
      timeout_(timeout),
      hosts_(std::move(hosts)),
      last_heard_(hosts_.size(), Clock::now()),
      peer_closed_(hosts_.size(), false),
      sends_(hosts_.size(), MPI_REQUEST_NULL),
      last_sends_(hosts_.size(), MPI_REQUEST_NULL) {
  peer_closed_[rank_] = true;  // this rank does not wait for itself
}

void Heartbeats::heard(int peer, Clock::time_point now) noexcept {
  if (peer >= 0 && static_cast<std::size_t>(peer) < last_heard_.size()) {
    last_heard_[static_cast<std::size_t>(peer)] = now;
  }
}

void Heartbeats::take(Clock::time_point now) {
  for (;;) {
    int flag = 0;
    MPI_Message message;
    MPI_Status status;
    MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &flag, &message, &status);
    if (flag == 0) return;
    MPI_Mrecv(&empty_payload, 0, MPI_BYTE, &message, MPI_STATUS_IGNORE);
    heard(status.MPI_SOURCE, now);
    if (status.MPI_TAG == kLastTag)
      peer_closed_[static_cast<std::size_t>(status.MPI_SOURCE)] = true;
  }
}

void Heartbeats::send_due(Clock::time_point now) {
  if (closed_ || now < next_send_) return;
  next_send_ = now + interval_;
  for (std::size_t peer = 0; peer < sends_.size(); ++peer) {
    if (peer == rank_) continue;
    if (sends_[peer] != MPI_REQUEST_NULL) {
      int done = 0;
      MPI_Test(&sends_[peer], &done, MPI_STATUS_IGNORE);
      if (done == 0) continue;  // the last one has not left yet: no pile-up
    }
    MPI_Isend(&empty_payload, 0, MPI_BYTE, static_cast<int>(peer), kBeatTag, comm_, &sends_[peer]);
  }
}

void Heartbeats::pump(Clock::time_point now) {
  if (now < next_check_) return;
  next_check_ = now + kCheckEvery;
  take(now);
  send_due(now);
  if (timeout_ <= Clock::duration::zero()) return;
  for (std::size_t peer = 0; peer < last_heard_.size(); ++peer) {
    if (peer_closed_[peer] || now - last_heard_[peer] <= timeout_) continue;
    const auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
    throw PeerLost(static_cast<unsigned>(peer), hosts_[peer], seconds(now - last_heard_[peer]),
                   seconds(timeout_));
  }
}

void Heartbeats::close() {
  if (closed_) return;
  closed_ = true;
  for (std::size_t peer = 0; peer < sends_.size(); ++peer) {
    if (peer == rank_) continue;
    MPI_Isend(&empty_payload, 0, MPI_BYTE, static_cast<int>(peer), kLastTag, comm_,
              &last_sends_[peer]);
  }
}

bool Heartbeats::drained() {
  if (!closed_) return false;
  take(Clock::now());
  if (!std::all_of(peer_closed_.begin(), peer_closed_.end(), [](bool c) { return c; }))
    return false;
  int beats = 0;
  int lasts = 0;
  MPI_Testall(static_cast<int>(sends_.size()), sends_.data(), &beats, MPI_STATUSES_IGNORE);
  MPI_Testall(static_cast<int>(last_sends_.size()), last_sends_.data(), &lasts,
              MPI_STATUSES_IGNORE);
  return beats != 0 && lasts != 0;
}

}  // namespace sw::runtime
