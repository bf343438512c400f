// Stable, fast hashing of keys.
//
// std::hash of an integer is the identity on libstdc++, so `hash % n` would send every key
// that is a multiple of n to the same instance. Partitioning therefore mixes the bits first.
// The functions here are pure and may be called from any thread.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <string_view>

namespace sw {

// Finalizer of MurmurHash3: a bijective 64-bit mix with full avalanche.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// FNV-1a over bytes: stable across builds and platforms (unlike std::hash of a string).
[[nodiscard]] constexpr std::uint64_t fnv1a64(std::string_view bytes) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// A well-mixed 64-bit hash of a key: integers are mixed directly, anything else goes
// through std::hash and is then mixed.
template <class K>
[[nodiscard]] std::uint64_t hash_key(const K& key) noexcept(noexcept(std::hash<K>{}(key))) {
  if constexpr (std::integral<K> || std::is_enum_v<K>) {
    return mix64(static_cast<std::uint64_t>(key));
  } else {
    return mix64(static_cast<std::uint64_t>(std::hash<K>{}(key)));
  }
}

__extension__ typedef unsigned __int128 uint128_t;

// Maps a 64-bit hash onto [0, n) without the bias and the division of `%` (Lemire).
[[nodiscard]] constexpr std::size_t reduce_range(std::uint64_t hash, std::size_t n) noexcept {
  return static_cast<std::size_t>((static_cast<uint128_t>(hash) * n) >> 64);
}

}  // namespace sw
