// libFuzzer target: JSON decoding of arbitrary text never crashes; whatever decodes writes
// back to JSON that decodes to the same value.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

#include "fuzz_types.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto value = sw::from_json<fuzz::Record>(text);
    std::string out;
    try {
      out = sw::to_json(value);
    } catch (const std::invalid_argument&) {
      return 0;  // a NaN or infinity read from a huge literal has no JSON form
    }
    if (!(sw::from_json<fuzz::Record>(out) == value)) std::abort();
  } catch (const sw::JsonError&) {
  }
  return 0;
}
