// A registry of codecs by name and version, and by type fingerprint: what a receiver uses
// to decode a frame whose type it knows only by the fingerprint in the header, and to say
// clearly which type a mismatched peer sent.
//
// Thread safety: every member function may be called from any thread. CodecInfo
// references stay valid for the registry's lifetime.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>

#include "streamweave/serde/fingerprint.hpp"

namespace sw {

struct CodecInfo {
  std::string name;
  std::uint32_t version = 0;
  std::uint64_t fingerprint = 0;
  std::string layout;  // type_layout<T>()
  // Appends the encoding of the T at `item`.
  std::function<void(BytesMut& out, const void* item)> encode;
  // Decodes the next value into the T at `item`.
  std::function<void(BinaryReader& in, void* item)> decode;
};

class CodecRegistry {
 public:
  // The process-wide registry.
  [[nodiscard]] static CodecRegistry& global();

  // Registers T as `name` version `version`. Registering the same type again returns the
  // first entry; a different type under a taken name and version throws
  // std::invalid_argument naming both layouts.
  template <BinaryCodable T>
  const CodecInfo& add(std::string name, std::uint32_t version = 1) {
    CodecInfo info{
        std::move(name),
        version,
        type_fingerprint<T>(),
        type_layout<T>(),
        [](BytesMut& out, const void* item) { encode(out, *static_cast<const T*>(item)); },
        [](BinaryReader& in, void* item) { in.read(*static_cast<T*>(item)); }};
    return insert(std::move(info));
  }

  // The codec registered as `name` version `version`, or nullptr.
  [[nodiscard]] const CodecInfo* find(std::string_view name, std::uint32_t version) const;
  // The codec of the type with this fingerprint, or nullptr.
  [[nodiscard]] const CodecInfo* find(std::uint64_t fingerprint) const;
  // "name vN (layout)" of the type with this fingerprint, or "unknown type 0x...".
  [[nodiscard]] std::string describe(std::uint64_t fingerprint) const;

 private:
  const CodecInfo& insert(CodecInfo info);

  mutable std::shared_mutex mutex_;
  std::deque<CodecInfo> codecs_;  // a deque: entries never move
};

}  // namespace sw
