// Frames: a batch of items encoded into one pooled buffer behind a fixed 48-byte header,
// the unit that crosses an exchange edge between ranks.
//
// Header, all little-endian:
//   0 magic "SWF1"   4 version u16   6 flags u16   8 edge u32   12 source instance u32
//   16 target instance u32   20 item count u32   24 sequence u64   32 payload bytes u32
//   36 checksum u32 (CRC32C of the header with this field 0, then the payload unless the
//      frame is kFramePayloadUnchecked)
//   40 fingerprint u64
//
// Flags: 0 for a frame of items; kFrameWatermark for a watermark frame (no items, an 8-byte
// event time as payload, fingerprint 0), which travels in sequence with the item frames;
// kFrameBarrier for a checkpoint barrier frame (the same, with the checkpoint id);
// kFramePayloadUnchecked when the sender left the payload out of the checksum (the header,
// this flag included, is always covered).
//
// parse_frame checks every header field and the checksum before anything reads the payload;
// decode_frame then checks the item type's fingerprint and decodes exactly `items` values.
// Errors are FrameErrors naming the edge, sequence, field and byte offset. Pure functions
// over their arguments: any thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "streamweave/serde/binary.hpp"
#include "streamweave/serde/checksum.hpp"
#include "streamweave/serde/codec_registry.hpp"
#include "streamweave/serde/fingerprint.hpp"

namespace sw {

inline constexpr std::uint32_t kFrameMagic = 0x31465753;  // "SWF1" as bytes on the wire
inline constexpr std::uint16_t kFrameVersion = 3;
inline constexpr std::size_t kFrameHeaderBytes = 48;

inline constexpr std::uint16_t kFrameWatermark = 1;
// Set by a sender that does not checksum payloads (DistributedOptions::payload_checksum):
// the checksum covers the header only, and a payload corrupted in transit goes undetected
// unless it no longer decodes.
inline constexpr std::uint16_t kFramePayloadUnchecked = 2;
// A checkpoint barrier frame: no items, the 8-byte checkpoint id as payload, fingerprint 0;
// like a watermark, it travels in sequence with the item frames of its producer.
inline constexpr std::uint16_t kFrameBarrier = 4;

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
  // encode_frames into SplicedFrames: Bytes and Str values of this size and up are not copied
  // into the frame's buffer but sent from where they are (0: every value is copied).
  std::size_t splice_min_bytes = 4u << 10;
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

namespace detail {
// Calls piece(std::span<const std::byte>) for each non-empty piece of `own` from offset
// `from` on, with each splice's bytes at its offset.
template <class Piece>
void for_each_piece(std::span<const std::byte> own, std::span<const Splice> splices,
                    std::size_t from, Piece& piece) {
  for (const Splice& s : splices) {
    if (s.at > from) piece(own.subspan(from, s.at - from));
    if (!s.bytes.empty()) piece(s.bytes.span());
    from = std::max(from, s.at);
  }
  if (own.size() > from) piece(own.subspan(from));
}
}  // namespace detail

// A frame to send as pieces: `head` holds the header and the payload except for large values,
// each of which belongs at its splice's offset in `head`. The pieces in order (for_each_piece)
// are the frame's bytes, exactly as flatten() would lay them out; the receiver sees one
// ordinary frame. The spliced values are shared with the items they came from, not copied.
struct SplicedFrame {
  Bytes head;
  std::vector<Splice> splices;

  // The frame's size in bytes, pieces included.
  [[nodiscard]] std::size_t size() const noexcept {
    std::size_t n = head.size();
    for (const Splice& s : splices) n += s.bytes.size();
    return n;
  }
  // Calls piece(std::span<const std::byte>) for each non-empty piece of the frame, in order.
  template <class Piece>
  void for_each_piece(Piece&& piece) const {
    detail::for_each_piece(head.span(), splices, 0, piece);
  }
  // The frame in one buffer from `pool` (`head` itself when nothing is spliced).
  [[nodiscard]] Bytes flatten(BufferPool& pool = BufferPool::global()) const;
};

// Checks `bytes` as one frame and returns its header and payload. Throws FrameError.
[[nodiscard]] Frame parse_frame(const Bytes& bytes, const FrameLimits& limits = {});
// parse_frame in two steps, for a receiver that routes a frame by its header on one thread
// and checks its content on another: read_frame_header reads and checks every header field
// but the checksum (cheap: nothing of the payload is read); check_frame then checks the
// checksum against the header already read and returns the frame. Throw FrameError.
[[nodiscard]] FrameHeader read_frame_header(const Bytes& bytes, const FrameLimits& limits = {});
[[nodiscard]] Frame check_frame(const Bytes& bytes, const FrameHeader& header);

// A watermark frame carrying event time `time` (header's edge, instances and sequence are
// used; flags, count, size and checksum are filled in).
[[nodiscard]] Bytes make_watermark_frame(FrameHeader header, std::int64_t time,
                                         BufferPool& pool = BufferPool::global());
// The event time of a parsed watermark frame. Throws FrameError when it is not one, or
// when its payload is not exactly the 8-byte time.
[[nodiscard]] std::int64_t frame_watermark(const Frame& frame);
// A barrier frame of checkpoint `checkpoint`, and the checkpoint of a parsed one (FrameError
// when it is not one, or its payload is not exactly the 8-byte id); as for watermarks.
[[nodiscard]] Bytes make_barrier_frame(FrameHeader header, std::uint64_t checkpoint,
                                       BufferPool& pool = BufferPool::global());
[[nodiscard]] std::uint64_t frame_barrier(const Frame& frame);

namespace detail {
// Writes `header` (with the checksum computed over it and, unless its flags have
// kFramePayloadUnchecked, the payload) into the first kFrameHeaderBytes of `frame`; the
// payload is the rest of `frame` with `splices` in place.
void seal_frame(BytesMut& frame, FrameHeader header, std::span<const Splice> splices = {});
[[noreturn]] void throw_item_too_large(const FrameHeader& header, std::size_t item_bytes,
                                       const FrameLimits& limits);
[[noreturn]] void throw_fingerprint_mismatch(const FrameHeader& header, std::uint64_t expected,
                                             std::string_view expected_layout);
[[noreturn]] void throw_count_mismatch(const FrameHeader& header, std::size_t decoded,
                                       std::size_t trailing, std::size_t offset);
}  // namespace detail

namespace detail {
// Encodes `items` into frames from header.sequence on, handing each to emit(BytesMut&,
// std::vector<Splice>&) once sealed; splices only when `splice` is true. Returns the next free
// sequence number.
template <BinaryCodable T, class Emit>
std::uint64_t encode_frames_with(std::span<const T> items, FrameHeader header,
                                 const FrameLimits& limits, BufferPool& pool, bool splice,
                                 Emit&& emit) {
  header.fingerprint = type_fingerprint<T>();
  std::size_t next = 0;
  std::vector<Splice> splices;
  do {
    BytesMut frame(std::min(limits.target_payload_bytes, limits.max_frame_bytes), pool);
    (void)frame.extend(kFrameHeaderBytes);
    BinaryWriter writer =
        splice ? BinaryWriter(frame, splices, limits.splice_min_bytes) : BinaryWriter(frame);
    std::uint32_t count = 0;
    while (next < items.size() && writer.size() - kFrameHeaderBytes < limits.target_payload_bytes) {
      const BinaryWriter::Mark before = writer.mark();
      writer.write(items[next]);
      if (writer.size() > limits.max_frame_bytes) {
        if (count == 0) {
          detail::throw_item_too_large(header, writer.size() - before.own - before.spliced_bytes,
                                       limits);
        }
        writer.rewind(before);  // this item starts the next frame
        break;
      }
      ++count;
      ++next;
    }
    header.items = count;
    detail::seal_frame(frame, header, splices);
    emit(frame, splices);
    splices.clear();
    ++header.sequence;
  } while (next < items.size());
  return header.sequence;
}
}  // namespace detail

// Encodes `items` into frames appended to `out`: as many as the target payload size needs,
// numbered from `header.sequence` on (the header's edge and instances are copied; count,
// size, fingerprint and checksum are filled in). Returns the next free sequence number.
// Throws FrameError when one item alone exceeds the maximum frame size.
template <BinaryCodable T>
std::uint64_t encode_frames(std::span<const T> items, FrameHeader header, std::vector<Bytes>& out,
                            const FrameLimits& limits = {},
                            BufferPool& pool = BufferPool::global()) {
  return detail::encode_frames_with(
      items, header, limits, pool, false,
      [&](BytesMut& frame, std::vector<Splice>&) { out.push_back(frame.freeze()); });
}

// The same as frames to send as pieces: values of limits.splice_min_bytes and up are shared
// with `items` instead of copied. The items' buffers stay referenced until `out` is dropped.
template <BinaryCodable T>
std::uint64_t encode_frames(std::span<const T> items, FrameHeader header,
                            std::vector<SplicedFrame>& out, const FrameLimits& limits = {},
                            BufferPool& pool = BufferPool::global()) {
  return detail::encode_frames_with(items, header, limits, pool, true,
                                    [&](BytesMut& frame, std::vector<Splice>& splices) {
                                      out.push_back({frame.freeze(), std::move(splices)});
                                    });
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
