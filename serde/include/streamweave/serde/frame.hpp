// Frames: a batch of items encoded into one pooled buffer behind a fixed 48-byte header,
// the unit that crosses an exchange edge between ranks (DESIGN.md §3).
//
// Header, all little-endian:
//   0 magic "SWF1"   4 version u16   6 flags u16   8 edge u32   12 source instance u32
//   16 target instance u32   20 item count u32   24 sequence u64   32 payload bytes u32
//   36 checksum u32 (of the header with this field 0, then the payload)   40 fingerprint u64
//
// Flags: 0 for a frame of items; kFrameWatermark for a watermark frame (no items, an 8-byte
// event time as payload, fingerprint 0), which travels in sequence with the item frames.
//
// parse_frame checks every header field and the checksum before anything reads the payload;
// decode_frame then checks the item type's fingerprint and decodes exactly `items` values.
// Errors are FrameErrors naming the edge, sequence, field and byte offset. Pure functions
// over their arguments: any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "streamweave/serde/binary.hpp"
#include "streamweave/serde/codec_registry.hpp"
#include "streamweave/serde/fingerprint.hpp"

namespace sw {

inline constexpr std::uint32_t kFrameMagic = 0x31465753;  // "SWF1" as bytes on the wire
inline constexpr std::uint16_t kFrameVersion = 2;
inline constexpr std::size_t kFrameHeaderBytes = 48;

inline constexpr std::uint16_t kFrameWatermark = 1;

struct FrameHeader {
  std::uint16_t version = kFrameVersion;
  std::uint16_t flags = 0;
  std::uint32_t edge = 0;
  std::uint32_t source_instance = 0;
  std::uint32_t target_instance = 0;
  std::uint32_t items = 0;
  std::uint64_t sequence = 0;
  std::uint32_t payload_bytes = 0;
  std::uint32_t checksum = 0;
  std::uint64_t fingerprint = 0;
};

struct FrameLimits {
  // A frame (header + payload) larger than this is refused, when written and when read.
  std::size_t max_frame_bytes = 8u << 20;
  // A frame is closed once its payload reaches this size; a batch larger than that is split
  // over several frames.
  std::size_t target_payload_bytes = 256u << 10;
};

// A bad frame: the type() is "frame", offset() the byte of the field found wrong.
class FrameError : public DecodeError {
 public:
  using DecodeError::DecodeError;
};

struct Frame {
  FrameHeader header;
  Bytes payload;  // a slice of the frame's buffer
};

// A 32-bit checksum of `bytes` (XXH3-64 folded to 32 bits: not cryptographic, detects
// corruption), tens of GB/s. Any thread.
[[nodiscard]] std::uint32_t frame_checksum(std::span<const std::byte> bytes,
                                           std::uint32_t seed = 0) noexcept;

// Checks `bytes` as one frame and returns its header and payload. Throws FrameError.
[[nodiscard]] Frame parse_frame(const Bytes& bytes, const FrameLimits& limits = {});

// A watermark frame carrying event time `time` (header's edge, instances and sequence are
// used; flags, count, size and checksum are filled in).
[[nodiscard]] Bytes make_watermark_frame(FrameHeader header, std::int64_t time,
                                         BufferPool& pool = BufferPool::global());
// The event time of a parsed watermark frame. Throws FrameError when it is not one, or
// when its payload is not exactly the 8-byte time.
[[nodiscard]] std::int64_t frame_watermark(const Frame& frame);

namespace detail {
// Writes `header` (with the checksum computed over it and the payload) into the first
// kFrameHeaderBytes of `frame`.
void seal_frame(BytesMut& frame, FrameHeader header);
[[noreturn]] void throw_item_too_large(const FrameHeader& header, std::size_t item_bytes,
                                       const FrameLimits& limits);
[[noreturn]] void throw_fingerprint_mismatch(const FrameHeader& header, std::uint64_t expected,
                                             std::string_view expected_layout);
[[noreturn]] void throw_count_mismatch(const FrameHeader& header, std::size_t decoded,
                                       std::size_t trailing, std::size_t offset);
}  // namespace detail

// Encodes `items` into frames appended to `out`: as many as the target payload size needs,
// numbered from `header.sequence` on (the header's edge and instances are copied; count,
// size, fingerprint and checksum are filled in). Returns the next free sequence number.
// Throws FrameError when one item alone exceeds the maximum frame size.
template <BinaryCodable T>
std::uint64_t encode_frames(std::span<const T> items, FrameHeader header, std::vector<Bytes>& out,
                            const FrameLimits& limits = {},
                            BufferPool& pool = BufferPool::global()) {
  header.fingerprint = type_fingerprint<T>();
  std::size_t next = 0;
  do {
    BytesMut frame(std::min(limits.target_payload_bytes, limits.max_frame_bytes), pool);
    (void)frame.extend(kFrameHeaderBytes);
    BinaryWriter writer(frame);
    std::uint32_t count = 0;
    while (next < items.size() && frame.size() - kFrameHeaderBytes < limits.target_payload_bytes) {
      const std::size_t before = frame.size();
      writer.write(items[next]);
      if (frame.size() > limits.max_frame_bytes) {
        if (count == 0) detail::throw_item_too_large(header, frame.size() - before, limits);
        frame.truncate(before);  // this item starts the next frame
        break;
      }
      ++count;
      ++next;
    }
    header.items = count;
    detail::seal_frame(frame, header);
    out.push_back(frame.freeze());
    ++header.sequence;
  } while (next < items.size());
  return header.sequence;
}

// Decodes the items of a parsed frame, appending them to `out`. Throws FrameError when the
// frame carries another type or its payload does not hold exactly `items` values, and
// DecodeError (naming the item type and offset) when an item is corrupt.
template <BinaryCodable T, class Allocator>
void decode_frame(const Frame& frame, std::vector<T, Allocator>& out) {
  const std::uint64_t expected = type_fingerprint<T>();
  if (frame.header.fingerprint != expected) {
    detail::throw_fingerprint_mismatch(frame.header, expected, type_layout<T>());
  }
  // Each item takes at least min_wire_bytes: a count the payload cannot hold is refused
  // before anything is reserved for it.
  constexpr std::size_t kMin = detail::min_wire_bytes<T>();
  if (kMin != 0 && frame.header.items > frame.payload.size() / kMin) {
    detail::throw_count_mismatch(frame.header, 0, frame.payload.size(), kFrameHeaderBytes);
  }
  BinaryReader reader(frame.payload);
  const std::size_t first = out.size();
  out.reserve(first + std::min<std::size_t>(frame.header.items, frame.payload.size() + 1));
  for (std::uint32_t i = 0; i < frame.header.items; ++i) {
    if (reader.remaining() == 0) {
      detail::throw_count_mismatch(frame.header, i, 0, kFrameHeaderBytes + reader.offset());
    }
    reader.read(out.emplace_back());
  }
  if (reader.remaining() != 0) {
    detail::throw_count_mismatch(frame.header, out.size() - first, reader.remaining(),
                                 kFrameHeaderBytes + reader.offset());
  }
}

}  // namespace sw
