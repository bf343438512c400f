// libFuzzer target: frame parsing, typed frame decoding and watermark frames, of arbitrary
// bytes.
#include <cstdint>
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
    } else {
      std::vector<fuzz::Record> records;
      sw::decode_frame(frame, records);
    }
  } catch (const sw::DecodeError&) {
  }
  return 0;
}
