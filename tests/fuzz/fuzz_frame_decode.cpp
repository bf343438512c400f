// libFuzzer target: frame parsing and typed frame decoding of arbitrary bytes.
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
    std::vector<fuzz::Record> records;
    sw::decode_frame(frame, records);
  } catch (const sw::DecodeError&) {
  }
  return 0;
}
