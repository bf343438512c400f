#include "frame_receiver.hpp"

#include <fmt/format.h>

#include "streamweave/runtime/distributed_errors.hpp"

namespace sw::runtime {

namespace {
std::int64_t nanos_since(Clock::time_point start) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}
}  // namespace

Inbox::Inbox(const BatchCodec& codec, BatchPoolBase& pool, std::uint32_t edge, unsigned instance,
             unsigned producers, std::uint32_t slot_base, std::string edge_name, unsigned rank,
             FrameLimits limits)
    : codec_(&codec),
      pool_(&pool),
      edge_(edge),
      instance_(instance),
      slot_base_(slot_base),
      edge_name_(std::move(edge_name)),
      rank_(rank),
      limits_(limits),
      next_sequence_(producers, 0),
      ended_(producers, false) {}

std::uint32_t Inbox::end(unsigned source, int from_rank) {
  if (source >= ended_.size()) {
    fail(from_rank, fmt::format("end-of-stream from producer instance {}, but the edge has {}",
                                source, ended_.size()));
  }
  if (ended_[source]) {
    fail(from_rank, fmt::format("a second end-of-stream from producer instance {}", source));
  }
  ended_[source] = true;
  return slot_base_ + source;
}

void Inbox::fail(int from_rank, const std::string& message) const {
  // A frame handed over in memory (from_rank < 0) came from this rank.
  throw ExchangeError(rank_, from_rank >= 0 ? from_rank : static_cast<int>(rank_), edge_name_,
                      message);
}

Event Inbox::take(const Bytes& wire, const std::optional<FrameHeader>& header, int from_rank) {
  const Clock::time_point start = Clock::now();
  Frame frame;
  try {
    frame = header ? check_frame(wire, *header) : parse_frame(wire, limits_);
  } catch (const DecodeError& e) {
    fail(from_rank, e.what());
  }
  const FrameHeader& h = frame.header;
  if (h.edge != edge_ || h.target_instance != instance_) {
    fail(from_rank,
         fmt::format("frame #{} is addressed to edge {} instance {}, but arrived at edge {} "
                     "instance {}",
                     h.sequence, h.edge, h.target_instance, edge_, instance_));
  }
  if (h.source_instance >= next_sequence_.size()) {
    fail(from_rank, fmt::format("frame #{} comes from producer instance {}, but the edge has {}",
                                h.sequence, h.source_instance, next_sequence_.size()));
  }
  if (ended_[h.source_instance]) {
    fail(from_rank,
         fmt::format("frame #{} from producer instance {} arrived after its end-of-stream",
                     h.sequence, h.source_instance));
  }
  std::uint64_t& expected = next_sequence_[h.source_instance];
  if (h.sequence != expected) {
    fail(from_rank, fmt::format("frame #{} from producer instance {} is out of sequence (expected "
                                "#{}): a frame was lost, repeated or reordered",
                                h.sequence, h.source_instance, expected));
  }
  ++expected;
  Event event;
  event.slot = slot_base_ + h.source_instance;
  try {
    if ((h.flags & kFrameWatermark) != 0) {
      event.signal = Watermark{frame_watermark(frame)};
    } else if ((h.flags & kFrameBarrier) != 0) {
      event.signal = Barrier{frame_barrier(frame)};
    } else {
      event.signal = codec_->decode(frame, *pool_);
    }
  } catch (const DecodeError& e) {
    fail(from_rank, fmt::format("frame #{} from producer instance {}: {}", h.sequence,
                                h.source_instance, e.what()));
  }
  ++frames;
  bytes += wire.size();
  decode_ns += nanos_since(start);
  return event;
}

FrameReceiver::FrameReceiver(Inbox inbox, std::uint32_t route, CreditReturn& credits,
                             std::size_t capacity, Task& consumer)
    : inbox_(std::move(inbox)), route_(route), credits_(&credits), frames_(capacity, consumer) {}

bool FrameReceiver::pull(Event& event) {
  if (!token_) token_.emplace(frames_.queue());
  IncomingFrame in;
  if (!frames_.pop(*token_, in)) return false;
  if (in.from_rank >= 0) credits_->return_credit(in.from_rank, route_);
  if (in.frame.empty()) {
    event = Event{EndOfStream{}, inbox_.end(in.source, in.from_rank)};
  } else {
    event = inbox_.take(in.frame, in.header, in.from_rank);
  }
  return true;
}

}  // namespace sw::runtime
