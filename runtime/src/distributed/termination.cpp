#include "termination.hpp"

#include "streamweave/engine/errors.hpp"
#include "streamweave/runtime/distributed_errors.hpp"

namespace sw::runtime {

Termination::Termination(MpiTransport& transport, RunContext& run, unsigned rank, unsigned ranks)
    : transport_(&transport), run_(&run), rank_(rank), ranks_(ranks), expected_(ranks, 0) {}

void Termination::send_abort_if_failed() {
  if (abort_sent_ || sends_closed_ || !run_->cancelled()) return;
  abort_sent_ = true;
  if (remote_cancel_) return;  // a peer told everyone
  // An error's text, or nothing for a cancellation (deadline, cancel token): the peers stop
  // too, instead of waiting for this rank's data.
  std::string message;
  if (const std::exception_ptr error = run_->error()) {
    try {
      std::rethrow_exception(error);
    } catch (const RemoteFailure&) {
      return;  // it came from a peer, which told everyone
    } catch (...) {
    }
    message = detail::describe(error);
    if (message.empty()) message = "(an exception without a message)";
  }
  for (unsigned peer = 0; peer < ranks_; ++peer) {
    if (peer != rank_) transport_->send_control(static_cast<int>(peer), AbortMessage{message});
  }
}

void Termination::on_abort(int peer, const AbortMessage& abort) {
  remote_cancel_ = true;
  if (abort.error.empty()) {
    run_->cancel();  // a peer was cancelled (deadline, cancel token)
  } else {
    run_->fail(std::make_exception_ptr(RemoteFailure(static_cast<unsigned>(peer), abort.error)));
  }
}

bool Termination::close_sends(bool finishing) {
  if (!finishing || sends_closed_) return false;
  // Every local task is done and everything it posted was sent: from here on this rank sends
  // nothing, so it can tell each peer how many messages to wait for.
  send_abort_if_failed();
  sends_closed_ = true;
  sent_ = transport_->sent();
  MPI_Ialltoall(sent_.data(), 1, MPI_UINT64_T, expected_.data(), 1, MPI_UINT64_T,
                transport_->control(), &alltoall_);
  return true;
}

bool Termination::everything_arrived() {
  if (!sends_closed_) return false;
  if (!counts_known_) {
    int flag = 0;
    MPI_Test(&alltoall_, &flag, MPI_STATUS_IGNORE);
    counts_known_ = flag != 0;
  }
  return counts_known_ && !transport_->busy() && transport_->received() == expected_;
}

}  // namespace sw::runtime
