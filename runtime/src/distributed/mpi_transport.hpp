// Internal: the MPI progress pump of a distributed run. It sends frames and control messages
// without blocking (MPI_Isend; a frame with spliced values as one derived datatype), takes
// whatever arrives (MPI_Improbe + MPI_Imrecv into pooled buffers), completes both
// (MPI_Testsome), and hands arrivals to a listener — data messages of each peer in the order
// that peer sent them. It counts the messages exchanged with each peer for the termination
// protocol. Communication thread only.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "frame_sender.hpp"
#include "streamweave/serde/control.hpp"

namespace sw::runtime {

// What the transport hands over. Communication thread.
class TransportListener {
 public:
  virtual ~TransportListener() = default;
  // A message of the data communicator: a frame (`is_frame`), or a control message that must
  // stay in order with the frames (end-of-stream).
  virtual void on_data(int peer, bool is_frame, const Bytes& bytes) = 0;
  // A message of the control communicator (credits, an abort).
  virtual void on_control(int peer, const Bytes& bytes) = 0;
};

class MpiTransport {
 public:
  // `data` and `control` are this run's communicators; the transport does not free them.
  MpiTransport(MPI_Comm data, MPI_Comm control, unsigned ranks, BufferPool& buffers);
  ~MpiTransport();
  MpiTransport(const MpiTransport&) = delete;
  MpiTransport& operator=(const MpiTransport&) = delete;

  // A frame for another rank, or end-of-stream when out.frame is empty.
  void send(Outgoing&& out);
  // A control message on the control communicator.
  void send_control(int peer, const ControlMessage& message);
  // One round: posts receives for what arrived, takes control messages, completes sends and
  // receives, and hands the completed receives to `listener`. True if anything moved.
  bool poll(TransportListener& listener);

  // Whether a send or receive is under way.
  [[nodiscard]] bool busy() const noexcept { return !ops_.empty(); }
  // Messages sent to / received from each peer so far.
  [[nodiscard]] const std::vector<std::uint64_t>& sent() const noexcept { return sent_; }
  [[nodiscard]] const std::vector<std::uint64_t>& received() const noexcept { return received_; }
  [[nodiscard]] MPI_Comm control() const noexcept { return control_; }

 private:
  struct Op;

  void isend(int peer, int tag, MPI_Comm comm, std::unique_ptr<Op> op, const void* data, int count,
             MPI_Datatype type = MPI_BYTE);
  void isend_pieces(int peer, std::unique_ptr<Op> op);
  void send_control(int peer, MPI_Comm comm, const ControlMessage& message);
  bool post_receives();
  bool take_control(TransportListener& listener);
  bool complete(TransportListener& listener);

  MPI_Comm data_;
  MPI_Comm control_;
  BufferPool* buffers_;
  std::vector<std::unique_ptr<Op>> ops_;
  std::vector<std::deque<Op*>> arrivals_;  // by source: receives in match order
  std::vector<std::uint64_t> sent_;
  std::vector<std::uint64_t> received_;
  // complete()'s scratch, kept so that a round allocates nothing.
  std::vector<MPI_Request> requests_;
  std::vector<Op*> waiting_;
  std::vector<int> indices_;
};

}  // namespace sw::runtime
