#include "streamweave/serde/frame.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstring>

namespace sw {

namespace {

constexpr std::size_t kChecksumOffset = 36;

template <class T>
T load(const std::byte* at) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    T value;
    std::memcpy(&value, at, sizeof(T));
    return value;
  } else {
    T value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(at[i]) << (8 * i);
    return value;
  }
}
template <class T>
void store(std::byte* at, T value) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(at, &value, sizeof(T));
  } else {
    for (std::size_t i = 0; i < sizeof(T); ++i) at[i] = static_cast<std::byte>(value >> (8 * i));
  }
}

std::string where(const FrameHeader& h) {
  return fmt::format("frame {} of edge {} (instance {} -> {})", h.sequence, h.edge,
                     h.source_instance, h.target_instance);
}

[[noreturn]] void fail(std::size_t offset, const std::string& message) {
  throw FrameError("frame", offset, message);
}

}  // namespace

Bytes SplicedFrame::flatten(BufferPool& pool) const {
  if (splices.empty()) return head;
  BytesMut out(size(), pool);
  for_each_piece([&](std::span<const std::byte> piece) { out.append(piece.data(), piece.size()); });
  return out.freeze();
}

namespace detail {

void seal_frame(BytesMut& frame, FrameHeader header, std::span<const Splice> splices) {
  std::size_t spliced = 0;
  for (const Splice& s : splices) spliced += s.bytes.size();
  header.payload_bytes = static_cast<std::uint32_t>(frame.size() - kFrameHeaderBytes + spliced);
  std::byte raw[kFrameHeaderBytes] = {};
  store(raw + 0, kFrameMagic);
  store(raw + 4, header.version);
  store(raw + 6, header.flags);
  store(raw + 8, header.edge);
  store(raw + 12, header.source_instance);
  store(raw + 16, header.target_instance);
  store(raw + 20, header.items);
  store(raw + 24, header.sequence);
  store(raw + 32, header.payload_bytes);
  store(raw + 36, std::uint32_t{0});
  store(raw + 40, header.fingerprint);
  frame.overwrite(0, raw, kFrameHeaderBytes);
  const std::uint32_t header_sum = crc32c({raw, kFrameHeaderBytes});
  // The payload's pieces in order: what the receiver checks as one buffer.
  std::uint32_t sum = header_sum;
  auto add = [&sum](std::span<const std::byte> piece) { sum = crc32c(piece, sum); };
  if ((header.flags & kFramePayloadUnchecked) == 0) {
    for_each_piece({frame.data(), frame.size()}, splices, kFrameHeaderBytes, add);
  }
  store(raw + kChecksumOffset, sum);
  frame.overwrite(kChecksumOffset, raw + kChecksumOffset, 4);
}

void throw_item_too_large(const FrameHeader& header, std::size_t item_bytes,
                          const FrameLimits& limits) {
  throw FrameError("frame", 0,
                   fmt::format("{}: one item encodes to {} bytes, over the maximum frame size of "
                               "{} bytes (FrameLimits::max_frame_bytes)",
                               where(header), item_bytes, limits.max_frame_bytes));
}

void throw_fingerprint_mismatch(const FrameHeader& header, std::uint64_t expected,
                                std::string_view expected_layout) {
  throw FrameError(
      "frame", 40,
      fmt::format("{}: carries {}, this edge expects {} ({:#018x}); were the ranks built "
                  "from different code?",
                  where(header), CodecRegistry::global().describe(header.fingerprint),
                  expected_layout, expected));
}

void throw_count_mismatch(const FrameHeader& header, std::size_t decoded, std::size_t trailing,
                          std::size_t offset) {
  throw FrameError("frame", offset,
                   fmt::format("{}: header says {} items; payload ends after {} with {} bytes "
                               "left over",
                               where(header), header.items, decoded, trailing));
}

}  // namespace detail

FrameHeader read_frame_header(const Bytes& bytes, const FrameLimits& limits) {
  const std::size_t size = bytes.size();
  if (size < kFrameHeaderBytes) {
    fail(size,
         fmt::format("{} bytes, shorter than the {}-byte frame header", size, kFrameHeaderBytes));
  }
  if (size > limits.max_frame_bytes) {
    fail(0, fmt::format("{} bytes, over the maximum frame size of {} bytes", size,
                        limits.max_frame_bytes));
  }
  const std::byte* raw = bytes.data();
  if (const auto magic = load<std::uint32_t>(raw); magic != kFrameMagic) {
    fail(0, fmt::format("bad magic {:#010x} (expected {:#010x}): not a StreamWeave frame", magic,
                        kFrameMagic));
  }
  FrameHeader h;
  h.version = load<std::uint16_t>(raw + 4);
  h.edge = load<std::uint32_t>(raw + 8);
  h.source_instance = load<std::uint32_t>(raw + 12);
  h.target_instance = load<std::uint32_t>(raw + 16);
  h.items = load<std::uint32_t>(raw + 20);
  h.sequence = load<std::uint64_t>(raw + 24);
  h.payload_bytes = load<std::uint32_t>(raw + 32);
  h.checksum = load<std::uint32_t>(raw + kChecksumOffset);
  h.fingerprint = load<std::uint64_t>(raw + 40);
  if (h.version != kFrameVersion) {
    fail(4, fmt::format("{}: version {} (this build reads version {})", where(h), h.version,
                        kFrameVersion));
  }
  h.flags = load<std::uint16_t>(raw + 6);
  if ((h.flags & ~(kFrameWatermark | kFrameBarrier | kFramePayloadUnchecked)) != 0 ||
      (h.flags & (kFrameWatermark | kFrameBarrier)) == (kFrameWatermark | kFrameBarrier)) {
    fail(6, fmt::format("{}: unknown flags {:#06x}", where(h), h.flags));
  }
  if (h.payload_bytes != size - kFrameHeaderBytes) {
    fail(32, fmt::format("{}: header says {} payload bytes, the frame holds {}", where(h),
                         h.payload_bytes, size - kFrameHeaderBytes));
  }
  return h;
}

Frame check_frame(const Bytes& bytes, const FrameHeader& h) {
  const std::size_t size = bytes.size();
  const std::byte* raw = bytes.data();
  if (size != kFrameHeaderBytes + std::size_t{h.payload_bytes}) {
    fail(32, fmt::format("{}: header says {} payload bytes, the frame holds {}", where(h),
                         h.payload_bytes, size < kFrameHeaderBytes ? 0 : size - kFrameHeaderBytes));
  }
  std::byte header_copy[kFrameHeaderBytes];
  std::memcpy(header_copy, raw, kFrameHeaderBytes);
  store(header_copy + kChecksumOffset, std::uint32_t{0});
  const bool unchecked = (h.flags & kFramePayloadUnchecked) != 0;
  std::uint32_t sum = crc32c({header_copy, kFrameHeaderBytes});
  if (!unchecked) sum = crc32c({raw + kFrameHeaderBytes, h.payload_bytes}, sum);
  if (sum != h.checksum) {
    fail(kChecksumOffset, fmt::format("{}: checksum {:#010x} does not match the {} ({:#010x}): "
                                      "corrupted in transit",
                                      where(h), h.checksum, unchecked ? "header" : "content", sum));
  }
  return Frame{h, bytes.slice(kFrameHeaderBytes, size)};
}

Frame parse_frame(const Bytes& bytes, const FrameLimits& limits) {
  return check_frame(bytes, read_frame_header(bytes, limits));
}

namespace {

// A frame of no items whose payload is one 8-byte value: a watermark or a barrier.
Bytes make_signal_frame(FrameHeader header, std::uint16_t flags, std::uint64_t value,
                        BufferPool& pool) {
  BytesMut frame(kFrameHeaderBytes + sizeof(value), pool);
  (void)frame.extend(kFrameHeaderBytes);
  std::byte payload[sizeof(value)];
  store(payload, value);
  frame.append(payload, sizeof(payload));
  header.flags = flags;
  header.items = 0;
  header.fingerprint = 0;
  detail::seal_frame(frame, header);
  return frame.freeze();
}

std::uint64_t signal_value(const Frame& frame, std::uint16_t flag, const char* kind) {
  const FrameHeader& h = frame.header;
  if ((h.flags & flag) == 0) fail(6, fmt::format("{}: not a {} frame", where(h), kind));
  if (h.items != 0 || frame.payload.size() != sizeof(std::uint64_t)) {
    fail(20, fmt::format("{}: a {} frame holds no items and 8 payload bytes (it says {} "
                         "items, {} bytes)",
                         where(h), kind, h.items, frame.payload.size()));
  }
  return load<std::uint64_t>(frame.payload.data());
}

}  // namespace

Bytes make_watermark_frame(FrameHeader header, std::int64_t time, BufferPool& pool) {
  return make_signal_frame(header, kFrameWatermark, static_cast<std::uint64_t>(time), pool);
}

std::int64_t frame_watermark(const Frame& frame) {
  return static_cast<std::int64_t>(signal_value(frame, kFrameWatermark, "watermark"));
}

Bytes make_barrier_frame(FrameHeader header, std::uint64_t checkpoint, BufferPool& pool) {
  return make_signal_frame(header, kFrameBarrier, checkpoint, pool);
}

std::uint64_t frame_barrier(const Frame& frame) {
  return signal_value(frame, kFrameBarrier, "barrier");
}

}  // namespace sw
