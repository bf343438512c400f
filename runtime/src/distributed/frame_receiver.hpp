// Internal: the receiving end of an exchange edge in distributed mode, for one local consumer
// instance. Frames arrive raw — from the communication thread (other ranks) or from producers
// of this rank (handed over in memory) — and wait in the receiver's own channel; the consumer's
// task pulls them, gives each remote frame's credit back, and the Inbox checks and decodes
// them there, on the worker, not on the communication thread.
#pragma once

#include <concurrentqueue/concurrentqueue.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../channel.hpp"
#include "credit_window.hpp"
#include "streamweave/engine/batch_codec.hpp"
#include "streamweave/serde/frame.hpp"

namespace sw::runtime {

// A frame as it arrived, or end-of-stream from producer instance `source` when `frame` is
// empty.
struct IncomingFrame {
  Bytes frame;
  std::optional<FrameHeader> header;  // read on arrival from another rank (read_frame_header)
  std::int32_t from_rank = -1;        // -1: handed over in memory by a producer of this rank
  std::uint32_t source = 0;
  std::uint32_t producer = kUncountedProducer;  // its index on the channel (BasicChannel::push)
};

// Checks and decodes the frames of one exchange edge into one consumer instance: each
// producer instance's frames in sequence, addressed to this edge and instance, none after
// that producer's end. The consumer's task only.
class Inbox {
 public:
  // Producer instance i of the edge is the consumer's input slot `slot_base` + i.
  Inbox(const BatchCodec& codec, BatchPoolBase& pool, std::uint32_t edge, unsigned instance,
        unsigned producers, std::uint32_t slot_base, std::string edge_name, unsigned rank,
        FrameLimits limits);

  // The event a frame from `from_rank` carries, with its header if the receiver already read
  // it; throws ExchangeError on a bad frame.
  [[nodiscard]] Event take(const Bytes& frame, const std::optional<FrameHeader>& header,
                           int from_rank);
  // End-of-stream from producer instance `source`: its input slot. Throws ExchangeError when
  // that producer had already ended.
  std::uint32_t end(unsigned source, int from_rank);

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

// Producers: the communication thread (kUncountedProducer: credits bound it) and the local
// FrameSenders (each its share of the capacity). Consumer: the task it was added to.
class FrameReceiver final : public Receiver {
 public:
  // `route`: the number the credits of frames from other ranks return on.
  FrameReceiver(Inbox inbox, std::uint32_t route, CreditReturn& credits, std::size_t capacity,
                Task& consumer);

  [[nodiscard]] bool pull(Event& event) override;
  [[nodiscard]] bool empty() const noexcept override { return frames_.is_empty(); }

  [[nodiscard]] BasicChannel<IncomingFrame>& frames() noexcept { return frames_; }
  [[nodiscard]] const Inbox& inbox() const noexcept { return inbox_; }

 private:
  Inbox inbox_;
  std::uint32_t route_;
  CreditReturn* credits_;
  BasicChannel<IncomingFrame> frames_;
  std::optional<moodycamel::ConsumerToken> token_;
};

}  // namespace sw::runtime
