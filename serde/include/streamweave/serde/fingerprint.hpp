// Type fingerprints: a stable 64-bit hash of a type's name and field layout, carried in
// frames so that two ranks built from different code refuse each other's data with a clear
// message instead of decoding garbage.
//
// The layout is a canonical text ("Bid{u64,i64,string}"): standard types by what they
// are, not by how the compiler spells them; aggregates by their name and their fields'
// layouts in order; enums and user types with an ADL codec by name. So the fingerprint is
// the same in every build of the same code, and changes when a field's type or the order of
// fields changes. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "streamweave/serde/binary.hpp"
#include "streamweave/serde/hash.hpp"
#include "streamweave/serde/message.hpp"

namespace sw {

template <class T>
[[nodiscard]] std::string type_layout();

namespace detail {
// Appends instead of operator+ on literals, which trips g++ 12's -Wrestrict (bug 105651).
inline std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}
template <class Tuple, std::size_t... I>
std::string layouts_of(std::index_sequence<I...>, const char* separator) {
  std::string out;
  ((out.append(I == 0 ? "" : separator), out.append(type_layout<std::tuple_element_t<I, Tuple>>())),
   ...);
  return out;
}
template <class T, std::size_t... I>
std::string field_layouts(std::index_sequence<I...>) {
  std::string out;
  ((out.append(I == 0 ? "" : ","), out.append(type_layout<boost::pfr::tuple_element_t<I, T>>())),
   ...);
  return out;
}
template <class... Ts>
std::string variant_layouts(std::variant<Ts...>*) {
  return detail::layouts_of<std::tuple<Ts...>>(std::index_sequence_for<Ts...>{}, "|");
}
}  // namespace detail

template <class T>
std::string type_layout() {
  static_assert(BinaryCodable<T>, "a fingerprint needs a binary codec: see serde/binary.hpp");
  if constexpr (kJsonWireFormat<T>) {
    return detail::join({"json ", type_name<T>()});
  } else if constexpr (std::is_same_v<T, bool>) {
    return "bool";
  } else if constexpr (std::is_same_v<T, char>) {
    return "char";
  } else if constexpr (std::is_integral_v<T>) {
    return detail::join({std::is_signed_v<T> ? "i" : "u", std::to_string(8 * sizeof(T))});
  } else if constexpr (std::is_floating_point_v<T>) {
    return detail::join({"f", std::to_string(8 * sizeof(T))});
  } else if constexpr (std::is_same_v<T, std::string>) {
    return "string";
  } else if constexpr (std::is_same_v<T, Str>) {
    return "str";
  } else if constexpr (std::is_same_v<T, Symbol>) {
    return "symbol";
  } else if constexpr (std::is_same_v<T, Bytes>) {
    return "bytes";
  } else if constexpr (std::is_same_v<T, Headers>) {
    return "headers";
  } else if constexpr (std::is_enum_v<T>) {
    return "enum " + std::string(type_name<T>()) + ":" + type_layout<std::underlying_type_t<T>>();
  } else if constexpr (detail::adl::HasEncode<T>) {
    return detail::join({"custom ", type_name<T>()});
  } else if constexpr (detail::is_vector<T>::value) {
    return detail::join({"vec<", type_layout<typename T::value_type>(), ">"});
  } else if constexpr (detail::is_std_array<T>::value) {
    return detail::join({"array<", type_layout<typename T::value_type>(), ";",
                         std::to_string(std::tuple_size_v<T>), ">"});
  } else if constexpr (detail::is_optional<T>::value) {
    return detail::join({"opt<", type_layout<typename T::value_type>(), ">"});
  } else if constexpr (detail::is_tuple<T>::value) {
    return "tuple<" + detail::layouts_of<T>(std::make_index_sequence<std::tuple_size_v<T>>{}, ",") +
           ">";
  } else if constexpr (detail::is_variant<T>::value) {
    return detail::join({"variant<", detail::variant_layouts(static_cast<T*>(nullptr)), ">"});
  } else {
    return std::string(type_name<T>()) + "{" +
           detail::field_layouts<T>(std::make_index_sequence<boost::pfr::tuple_size_v<T>>{}) + "}";
  }
}

// FNV-1a of type_layout<T>(), computed once per type.
template <class T>
[[nodiscard]] std::uint64_t type_fingerprint() {
  static const std::uint64_t fingerprint = fnv1a64(type_layout<T>());
  return fingerprint;
}

}  // namespace sw
