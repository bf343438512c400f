// Internal: the two ends of an exchange edge in distributed mode. A FrameSender encodes a
// producer's batches into frames and hands them to the consumer's channel (same rank) or to
// the communication thread (another rank); an Inbox checks and decodes them on the
// consumer's task.
#pragma once

#include <concurrentqueue/concurrentqueue.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../channel.hpp"
#include "../task.hpp"
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

// The consumer side of one exchange edge into one local consumer instance.
class Inbox final : public FrameInbox {
 public:
  // Producer instance i of the edge is the consumer's input slot `slot_base` + i.
  Inbox(const BatchCodec& codec, BatchPoolBase& pool, std::uint32_t edge, unsigned instance,
        unsigned producers, std::uint32_t slot_base, std::string edge_name, unsigned rank,
        FrameLimits limits);

  [[nodiscard]] Delivery take(const Bytes& frame, const std::optional<FrameHeader>& header,
                              int from_rank) override;
  std::uint32_t end(unsigned source, int from_rank) override;

  // Written by the consumer's task; read after the run.
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
  std::int64_t decode_ns = 0;

 private:
  [[noreturn]] void fail(int from_rank, const std::string& message) const;

  const BatchCodec* codec_;
  BatchPoolBase* pool_;
  std::uint32_t edge_;
  unsigned instance_;
  std::uint32_t slot_base_;
  std::string edge_name_;
  unsigned rank_;
  FrameLimits limits_;
  std::vector<std::uint64_t> next_sequence_;  // per producer instance
  std::vector<bool> ended_;                   // per producer instance
};

// Where one consumer instance of an exchange edge is, seen from a producer.
struct SenderTarget {
  ChannelPort local{nullptr, 0};   // on this rank
  Inbox* inbox = nullptr;          // on this rank
  CreditWindow* window = nullptr;  // on another rank
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
  [[nodiscard]] std::uint32_t edge() const noexcept { return edge_; }

  // Written by the producer's task; read after the run.
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
  std::uint64_t remote_frames = 0;
  std::int64_t encode_ns = 0;

 private:
  void deliver(std::size_t target, SplicedFrame frame);

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
