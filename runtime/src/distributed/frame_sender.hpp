// Internal: the sending end of an exchange edge in distributed mode. A FrameSender encodes a
// producer's batches into frames and hands them to the consumer's frame receiver (same rank)
// or to the communication thread (another rank), which sends them over MPI.
#pragma once

#include <concurrentqueue/concurrentqueue.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../task.hpp"
#include "credit_window.hpp"
#include "frame_receiver.hpp"
#include "streamweave/engine/batch_codec.hpp"
#include "streamweave/engine/output.hpp"
#include "streamweave/runtime/options.hpp"

namespace sw::runtime {

// What a worker hands the communication thread: a frame (its head and the values spliced into
// it), or end-of-stream when `frame` is empty, for route `route` on rank `rank`.
struct Outgoing {
  Bytes frame;
  std::vector<Splice> splices;
  std::int32_t rank = 0;
  std::uint32_t route = 0;
  std::uint32_t source = 0;  // the producer instance
};

// Implemented by the session: takes frames for other ranks. Worker threads.
class FramePost {
 public:
  virtual ~FramePost() = default;
  virtual void post(moodycamel::ProducerToken& token, Outgoing&& out) = 0;
  [[nodiscard]] virtual moodycamel::ConcurrentQueue<Outgoing>& outgoing() noexcept = 0;
};

// Where one consumer instance of an exchange edge is, seen from a producer.
struct SenderTarget {
  FrameReceiver* receiver = nullptr;  // on this rank
  std::uint32_t local_producer = 0;   // the producer's index on receiver->frames()
  CreditWindow* window = nullptr;     // on another rank
  std::int32_t rank = 0;
  std::uint32_t route = 0;
  bool checksum_payload = true;  // DistributedOptions::payload_checksum, for this target
};

// The producer side of one exchange edge for one local producer instance. Its task only.
class FrameSender final : public BatchSender {
 public:
  FrameSender(const BatchCodec& codec, std::uint32_t edge, unsigned instance,
              std::vector<SenderTarget> targets, FramePost& post, BufferPool& buffers,
              const DistributedOptions& options);

  [[nodiscard]] std::size_t targets() const noexcept override { return targets_.size(); }
  void send(std::size_t target, BatchRef batch) override;
  void send_end(std::size_t target) override;
  void send_watermark(std::size_t target, EventTime time) override;
  // A barrier frame, in sequence with the item frames (run() still refuses checkpoints in
  // distributed mode: the ranks' coordination is next).
  void send_barrier(std::size_t target, std::uint64_t checkpoint) override;
  [[nodiscard]] std::uint32_t edge() const noexcept { return edge_; }

  // Written by the producer's task; read after the run.
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
  std::uint64_t remote_frames = 0;
  std::int64_t encode_ns = 0;

 private:
  void deliver(std::size_t target, SplicedFrame frame);
  // The header of the next frame to `target`: this edge and producer, the next sequence number.
  FrameHeader next_header(std::size_t target);

  const BatchCodec* codec_;
  std::uint32_t edge_;
  unsigned instance_;
  std::vector<SenderTarget> targets_;
  std::vector<std::optional<moodycamel::ProducerToken>> local_tokens_;
  std::vector<std::uint64_t> sequence_;
  FramePost* post_;
  moodycamel::ProducerToken post_token_;
  BufferPool* buffers_;
  FrameLimits local_limits_;   // nothing spliced: the frame is handed over as one buffer
  FrameLimits remote_limits_;  // large values spliced, for MPI to send from where they are
  const DistributedOptions* options_;
  std::vector<SplicedFrame> scratch_;
};

}  // namespace sw::runtime
