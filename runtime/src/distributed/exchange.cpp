#include "exchange.hpp"

#include <fmt/format.h>

#include "streamweave/engine/errors.hpp"
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

Delivery Inbox::take(const Bytes& wire, const std::optional<FrameHeader>& header, int from_rank) {
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
  Delivery delivery;
  delivery.slot = slot_base_ + h.source_instance;
  try {
    if ((h.flags & kFrameWatermark) != 0) {
      delivery.is_watermark = true;
      delivery.watermark = frame_watermark(frame);
    } else {
      delivery.batch = codec_->decode(frame, *pool_);
    }
  } catch (const DecodeError& e) {
    fail(from_rank, fmt::format("frame #{} from producer instance {}: {}", h.sequence,
                                h.source_instance, e.what()));
  }
  ++frames;
  bytes += wire.size();
  decode_ns += nanos_since(start);
  return delivery;
}

FrameSender::FrameSender(const BatchCodec& codec, std::uint32_t edge, unsigned instance,
                         std::vector<SenderTarget> targets, FramePost& post, BufferPool& buffers,
                         const DistributedOptions& options)
    : codec_(&codec),
      edge_(edge),
      instance_(instance),
      targets_(std::move(targets)),
      sequence_(targets_.size(), 0),
      post_(&post),
      post_token_(post.outgoing()),
      buffers_(&buffers),
      local_limits_{options.max_frame_bytes, options.frame_bytes, 0},
      remote_limits_{options.max_frame_bytes, options.frame_bytes,
                     options.frame_hook ? 0 : options.splice_bytes},
      options_(&options) {
  local_tokens_.resize(targets_.size());
  for (std::size_t t = 0; t < targets_.size(); ++t) {
    if (targets_[t].local.channel != nullptr) {
      local_tokens_[t].emplace(targets_[t].local.channel->queue());
    }
  }
}

void FrameSender::send(std::size_t target, BatchRef batch) {
  const Clock::time_point start = Clock::now();
  FrameHeader header;
  header.edge = edge_;
  header.source_instance = instance_;
  header.target_instance = static_cast<std::uint32_t>(target);
  header.sequence = sequence_[target];
  if (!targets_[target].checksum_payload) header.flags = kFramePayloadUnchecked;
  scratch_.clear();
  const bool local = targets_[target].local.channel != nullptr;
  sequence_[target] =
      codec_->encode(*batch, header, scratch_, local ? local_limits_ : remote_limits_, *buffers_);
  batch.reset();  // the items are in the frames now (or the frames share their large values)
  encode_ns += nanos_since(start);
  for (SplicedFrame& frame : scratch_) deliver(target, std::move(frame));
  scratch_.clear();
}

void FrameSender::deliver(std::size_t target, SplicedFrame frame) {
  SenderTarget& to = targets_[target];
  if (options_->frame_hook) {
    // The frame is ours alone until it is delivered (nothing is spliced while a hook is set);
    // the hook (tests) may change it.
    options_->frame_hook(edge_, static_cast<unsigned>(to.rank),
                         {const_cast<std::byte*>(frame.head.data()), frame.head.size()});
  }
  ++frames;
  bytes += frame.size();
  if (to.local.channel != nullptr) {
    Event event;
    event.frame = std::move(frame.head);
    event.inbox = to.inbox;
    event.source = instance_;
    to.local.channel->push(*local_tokens_[target], to.local.producer, std::move(event));
    return;
  }
  ++remote_frames;
  to.window->sent();
  post_->post(post_token_, Outgoing{std::move(frame.head), std::move(frame.splices), to.rank,
                                    to.route, instance_});
}

void FrameSender::send_watermark(std::size_t target, EventTime time) {
  FrameHeader header;
  header.edge = edge_;
  header.source_instance = instance_;
  header.target_instance = static_cast<std::uint32_t>(target);
  header.sequence = sequence_[target]++;
  deliver(target, SplicedFrame{make_watermark_frame(header, time, *buffers_), {}});
}

void FrameSender::send_end(std::size_t target) {
  SenderTarget& to = targets_[target];
  if (to.local.channel != nullptr) {
    Event event;
    event.inbox = to.inbox;
    event.source = instance_;
    to.local.channel->push(*local_tokens_[target], to.local.producer, std::move(event));
    return;
  }
  to.window->sent();
  post_->post(post_token_, Outgoing{Bytes(), {}, to.rank, to.route, instance_});
}

}  // namespace sw::runtime
