#include "frame_sender.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "streamweave/engine/errors.hpp"
#include "streamweave/runtime/distributed_errors.hpp"

namespace sw::runtime {

namespace {
std::int64_t nanos_since(Clock::time_point start) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}
}  // namespace

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
    if (targets_[t].receiver != nullptr) {
      local_tokens_[t].emplace(targets_[t].receiver->frames().queue());
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
  const bool local = targets_[target].receiver != nullptr;
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
  if (to.receiver != nullptr) {
    IncomingFrame in;
    in.frame = std::move(frame.head);
    to.receiver->frames().push(*local_tokens_[target], to.local_producer, std::move(in));
    return;
  }
  ++remote_frames;
  to.window->sent();
  post_->post(post_token_, Outgoing{std::move(frame.head), std::move(frame.splices), to.rank,
                                    to.route, instance_});
}

FrameHeader FrameSender::next_header(std::size_t target) {
  FrameHeader header;
  header.edge = edge_;
  header.source_instance = instance_;
  header.target_instance = static_cast<std::uint32_t>(target);
  header.sequence = sequence_[target]++;
  return header;
}

void FrameSender::send_watermark(std::size_t target, EventTime time) {
  deliver(target, SplicedFrame{make_watermark_frame(next_header(target), time, *buffers_), {}});
}

void FrameSender::send_barrier(std::size_t target, std::uint64_t checkpoint) {
  deliver(target, SplicedFrame{make_barrier_frame(next_header(target), checkpoint, *buffers_), {}});
}

void FrameSender::send_end(std::size_t target) {
  SenderTarget& to = targets_[target];
  if (to.receiver != nullptr) {
    IncomingFrame end;
    end.source = instance_;
    to.receiver->frames().push(*local_tokens_[target], to.local_producer, std::move(end));
    return;
  }
  to.window->sent();
  post_->post(post_token_, Outgoing{Bytes(), {}, to.rank, to.route, instance_});
}

}  // namespace sw::runtime
