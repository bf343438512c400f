// The readable name of a type, as the compiler spells it (e.g. "std::vector<int>"), for
// error messages and type fingerprints. Stable for one compiler; any thread.
#pragma once

#include <string_view>

namespace sw {

namespace detail {
template <class T>
constexpr std::string_view raw_type_name() noexcept {
  return __PRETTY_FUNCTION__;
}
}  // namespace detail

template <class T>
[[nodiscard]] constexpr std::string_view type_name() noexcept {
  // "... raw_type_name() [with T = int; std::string_view = ...]" (GCC) or
  // "... raw_type_name() [T = int]" (Clang).
  const std::string_view raw = detail::raw_type_name<T>();
  std::size_t begin = raw.find("T = ");
  if (begin == std::string_view::npos) return raw;
  begin += 4;
  std::size_t end = raw.find(';', begin);
  if (end == std::string_view::npos) end = raw.rfind(']');
  return raw.substr(begin, end - begin);
}

}  // namespace sw
