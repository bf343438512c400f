#include "mpi_transport.hpp"

#include <algorithm>

namespace sw::runtime {

namespace {

// Frames of items go on the data communicator; control messages (serde/control.hpp) too when
// they must stay in order with the frames (end-of-stream), else on the control one.
constexpr int kFrameTag = 1;
constexpr int kControlTag = 2;

// Calls take(message, status, bytes) for every message waiting on `comm`; true if any.
template <class Take>
bool probe_all(MPI_Comm comm, Take&& take) {
  bool any = false;
  for (;;) {
    int flag = 0;
    MPI_Message message;
    MPI_Status status;
    MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &message, &status);
    if (flag == 0) return any;
    any = true;
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    take(message, status, count);
  }
}

}  // namespace

struct MpiTransport::Op {
  bool receive = false;
  int peer = 0;
  int tag = 0;
  MPI_Request request = MPI_REQUEST_NULL;
  bool complete = false;
  bool finished = false;        // a send completed, or a receive delivered
  Bytes keep;                   // what a send sends
  std::vector<Splice> splices;  // ... with these values in place
  BytesMut buffer;              // what a receive fills
};

MpiTransport::MpiTransport(MPI_Comm data, MPI_Comm control, unsigned ranks, BufferPool& buffers)
    : data_(data),
      control_(control),
      buffers_(&buffers),
      arrivals_(ranks),
      sent_(ranks, 0),
      received_(ranks, 0) {}

MpiTransport::~MpiTransport() = default;

void MpiTransport::isend(int peer, int tag, MPI_Comm comm, std::unique_ptr<Op> op, const void* data,
                         int count, MPI_Datatype type) {
  op->peer = peer;
  op->tag = tag;
  MPI_Isend(data, count, type, peer, tag, comm, &op->request);
  ++sent_[static_cast<std::size_t>(peer)];
  ops_.push_back(std::move(op));
}

void MpiTransport::isend_pieces(int peer, std::unique_ptr<Op> op) {
  // One message from the frame's pieces where they are: a derived datatype of absolute
  // addresses (MPI_BOTTOM), so MPI copies each piece straight into its transport, and the
  // receiver gets one contiguous frame. The type may be freed once the send is posted.
  std::vector<int> lengths;
  std::vector<MPI_Aint> addresses;
  auto add = [&](std::span<const std::byte> piece) {
    MPI_Aint address = 0;
    MPI_Get_address(piece.data(), &address);
    lengths.push_back(static_cast<int>(piece.size()));
    addresses.push_back(address);
  };
  detail::for_each_piece(op->keep.span(), op->splices, 0, add);
  MPI_Datatype type = MPI_DATATYPE_NULL;
  MPI_Type_create_hindexed(static_cast<int>(lengths.size()), lengths.data(), addresses.data(),
                           MPI_BYTE, &type);
  MPI_Type_commit(&type);
  isend(peer, kFrameTag, data_, std::move(op), MPI_BOTTOM, 1, type);
  MPI_Type_free(&type);
}

void MpiTransport::send(Outgoing&& out) {
  auto op = std::make_unique<Op>();
  if (out.frame.empty()) {
    send_control(out.rank, data_, EndOfStreamMessage{out.route, out.source});
  } else if (out.splices.empty()) {
    op->keep = std::move(out.frame);
    const void* data = op->keep.data();
    const int bytes = static_cast<int>(op->keep.size());
    isend(out.rank, kFrameTag, data_, std::move(op), data, bytes);
  } else {
    op->keep = std::move(out.frame);
    op->splices = std::move(out.splices);
    isend_pieces(out.rank, std::move(op));
  }
}

void MpiTransport::send_control(int peer, const ControlMessage& message) {
  send_control(peer, control_, message);
}

void MpiTransport::send_control(int peer, MPI_Comm comm, const ControlMessage& message) {
  auto op = std::make_unique<Op>();
  op->keep = encode_control(message, *buffers_);
  const void* data = op->keep.data();
  const int bytes = static_cast<int>(op->keep.size());
  isend(peer, kControlTag, comm, std::move(op), data, bytes);
}

bool MpiTransport::poll(TransportListener& listener) {
  bool progress = post_receives();
  progress = take_control(listener) || progress;
  return complete(listener) || progress;
}

bool MpiTransport::post_receives() {
  return probe_all(data_, [this](MPI_Message& message, const MPI_Status& status, int count) {
    auto op = std::make_unique<Op>();
    op->receive = true;
    op->peer = status.MPI_SOURCE;
    op->tag = status.MPI_TAG;
    op->buffer = BytesMut(static_cast<std::size_t>(std::max(count, 1)), *buffers_);
    std::byte* into = op->buffer.extend(static_cast<std::size_t>(count));
    MPI_Imrecv(into, count, MPI_BYTE, &message, &op->request);
    arrivals_[static_cast<std::size_t>(op->peer)].push_back(op.get());
    ops_.push_back(std::move(op));
  });
}

bool MpiTransport::take_control(TransportListener& listener) {
  return probe_all(control_, [&](MPI_Message& message, const MPI_Status& status, int count) {
    BytesMut buffer(static_cast<std::size_t>(std::max(count, 1)), *buffers_);
    MPI_Mrecv(buffer.extend(static_cast<std::size_t>(count)), count, MPI_BYTE, &message,
              MPI_STATUS_IGNORE);
    ++received_[static_cast<std::size_t>(status.MPI_SOURCE)];
    listener.on_control(status.MPI_SOURCE, buffer.freeze());
  });
}

bool MpiTransport::complete(TransportListener& listener) {
  if (ops_.empty()) return false;
  requests_.clear();
  waiting_.clear();
  for (auto& op : ops_) {
    if (op->complete) continue;
    requests_.push_back(op->request);
    waiting_.push_back(op.get());
  }
  bool any = false;
  if (!requests_.empty()) {
    indices_.resize(requests_.size());
    int done = 0;
    MPI_Testsome(static_cast<int>(requests_.size()), requests_.data(), &done, indices_.data(),
                 MPI_STATUSES_IGNORE);
    for (int k = 0; k < done && done != MPI_UNDEFINED; ++k) {
      Op& op = *waiting_[static_cast<std::size_t>(indices_[static_cast<std::size_t>(k)])];
      op.complete = true;
      op.request = MPI_REQUEST_NULL;
      if (!op.receive) op.finished = true;
      any = true;
    }
  }
  // Receives complete in any order; deliver them per peer in the order they were matched,
  // which is the order they were sent: end-of-stream never overtakes data.
  for (auto& queue : arrivals_) {
    while (!queue.empty() && queue.front()->complete) {
      Op& op = *queue.front();
      ++received_[static_cast<std::size_t>(op.peer)];
      listener.on_data(op.peer, op.tag == kFrameTag, op.buffer.freeze());
      op.finished = true;
      queue.pop_front();
    }
  }
  std::erase_if(ops_, [](const std::unique_ptr<Op>& op) { return op->finished; });
  return any;
}

}  // namespace sw::runtime
