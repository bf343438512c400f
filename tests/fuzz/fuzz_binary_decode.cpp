// libFuzzer target: binary decoding of arbitrary bytes never crashes or reads out of bounds;
// whatever decodes re-encodes to bytes that decode and re-encode to the same bytes.
#include <cstdint>
#include <cstdlib>

#include "fuzz_types.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const sw::Bytes input =
      sw::Bytes::copy_of(std::span(reinterpret_cast<const std::byte*>(data), size));
  try {
    // Compared as bytes: a decoded NaN is not equal to itself.
    const sw::Bytes once = sw::encode(sw::decode<fuzz::WireRecord>(input));
    if (!(sw::encode(sw::decode<fuzz::WireRecord>(once)) == once)) std::abort();
  } catch (const sw::DecodeError&) {
  }
  return 0;
}
