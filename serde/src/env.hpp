// Internal: settings read from environment variables.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sw::detail {

// The positive integer in variable `name`, or `fallback` when it is not set. Throws
// std::invalid_argument naming the variable and its text otherwise.
inline std::size_t env_positive(const char* name, std::size_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr) return fallback;
  const std::string_view s(text);
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value == 0) {
    throw std::invalid_argument(std::string(name) + "='" + text + "' is not a positive integer");
  }
  return value;
}

}  // namespace sw::detail
