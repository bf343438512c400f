#include "streamweave/serde/codec_registry.hpp"

#include <fmt/format.h>

#include <memory>
#include <mutex>

namespace sw {

CodecRegistry& CodecRegistry::global() {
  static CodecRegistry& registry = *std::make_unique<CodecRegistry>().release();
  return registry;
}

const CodecInfo& CodecRegistry::insert(CodecInfo info) {
  std::unique_lock lock(mutex_);
  for (const CodecInfo& c : codecs_) {
    if (c.name == info.name && c.version == info.version) {
      if (c.fingerprint == info.fingerprint) return c;
      throw std::invalid_argument(fmt::format(
          "codec '{}' v{} is already registered for {}; cannot register it again for {}", c.name,
          c.version, c.layout, info.layout));
    }
  }
  return codecs_.emplace_back(std::move(info));
}

const CodecInfo* CodecRegistry::find(std::string_view name, std::uint32_t version) const {
  std::shared_lock lock(mutex_);
  for (const CodecInfo& c : codecs_) {
    if (c.name == name && c.version == version) return &c;
  }
  return nullptr;
}

const CodecInfo* CodecRegistry::find(std::uint64_t fingerprint) const {
  std::shared_lock lock(mutex_);
  for (const CodecInfo& c : codecs_) {
    if (c.fingerprint == fingerprint) return &c;
  }
  return nullptr;
}

std::string CodecRegistry::describe(std::uint64_t fingerprint) const {
  if (const CodecInfo* c = find(fingerprint)) {
    return fmt::format("'{}' v{} ({})", c->name, c->version, c->layout);
  }
  return fmt::format("unknown type {:#018x}", fingerprint);
}

}  // namespace sw
