// libFuzzer target: frame parsing, typed frame decoding, watermark and barrier frames, control
// messages (end-of-stream, credits, abort), of arbitrary bytes.
#include <cstdint>
#include <streamweave/serde/control.hpp>
#include <streamweave/serde/frame.hpp>

#include "fuzz_types.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const sw::Bytes input =
      sw::Bytes::copy_of(std::span(reinterpret_cast<const std::byte*>(data), size));
  sw::FrameLimits limits;
  limits.max_frame_bytes = 1 << 20;
  try {
    const sw::Frame frame = sw::parse_frame(input, limits);
    if ((frame.header.flags & sw::kFrameWatermark) != 0) {
      (void)sw::frame_watermark(frame);
    } else if ((frame.header.flags & sw::kFrameBarrier) != 0) {
      (void)sw::frame_barrier(frame);
    } else {
      std::vector<fuzz::Record> records;
      sw::decode_frame(frame, records);
    }
  } catch (const sw::DecodeError&) {
  }
  try {
    const sw::ControlMessage message = sw::parse_control(input);
    // What parses must encode back to the same bytes: nothing is read twice or skipped.
    if (sw::encode_control(message).as_string_view() != input.as_string_view()) __builtin_trap();
  } catch (const sw::DecodeError&) {
  }
  return 0;
}
