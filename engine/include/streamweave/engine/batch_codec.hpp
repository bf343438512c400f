// BatchCodec: how the items of one output port become bytes and back — a batch into frames,
// a frame into a batch — for whatever carries batches as bytes (a transport between
// processes). A port's spec has one when its item type has a binary codec. Stateless: any
// thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "streamweave/engine/batch.hpp"
#include "streamweave/serde/frame.hpp"
#include "streamweave/serde/type_name.hpp"

namespace sw {

class BatchCodec {
 public:
  virtual ~BatchCodec() = default;
  // Appends the frames of `batch`'s items to `out`, numbered from header.sequence on; returns
  // the next free sequence number. Values of limits.splice_min_bytes and up stay where they
  // are, shared with the batch (0: all copied into the frames). Throws FrameError when one
  // item exceeds the frame limit.
  virtual std::uint64_t encode(const BatchBase& batch, const FrameHeader& header,
                               std::vector<SplicedFrame>& out, const FrameLimits& limits,
                               BufferPool& buffers) const = 0;
  // The items of a parsed frame in a batch from `pool` (a BatchPool of this item type, owned
  // by the calling task). Throws FrameError or DecodeError on a bad payload.
  [[nodiscard]] virtual BatchRef decode(const Frame& frame, BatchPoolBase& pool) const = 0;
  [[nodiscard]] virtual std::string_view item_type_name() const noexcept = 0;
};

template <BinaryCodable T>
class TypedBatchCodec final : public BatchCodec {
 public:
  std::uint64_t encode(const BatchBase& batch, const FrameHeader& header,
                       std::vector<SplicedFrame>& out, const FrameLimits& limits,
                       BufferPool& buffers) const override {
    const auto& typed = static_cast<const Batch<T>&>(batch);
    if (!typed.is_view()) {
      return encode_frames(std::span<const T>(typed.items.data(), typed.items.size()), header, out,
                           limits, buffers);
    }
    // A view's items are not contiguous: gather them (pooled storage) to encode them.
    BatchItems<T> gathered{PoolAllocator<T>(buffers)};
    gathered.reserve(typed.size());
    typed.read([&](const auto& items) {
      for (std::size_t i = 0; i < items.size(); ++i) gathered.push_back(items[i]);
    });
    return encode_frames(std::span<const T>(gathered.data(), gathered.size()), header, out, limits,
                         buffers);
  }
  [[nodiscard]] BatchRef decode(const Frame& frame, BatchPoolBase& pool) const override {
    BatchPtr<T> batch = static_cast<BatchPool<T>&>(pool).acquire(frame.header.items);
    decode_frame(frame, batch->items);
    return batch;
  }
  [[nodiscard]] std::string_view item_type_name() const noexcept override { return type_name<T>(); }
};

}  // namespace sw
