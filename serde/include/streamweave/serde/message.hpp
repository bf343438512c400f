// Headers: a small ordered list of Symbol keys to Symbol or Str values. Message<T>: an
// optional envelope around a payload, for pipelines that carry metadata with each item.
// Both have binary codecs (serde/binary.hpp). Plain values; the usual thread rules.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "streamweave/serde/binary.hpp"
#include "streamweave/serde/str.hpp"
#include "streamweave/serde/symbol.hpp"

namespace sw {

using HeaderValue = std::variant<Symbol, Str>;

class Headers {
 public:
  using Entry = std::pair<Symbol, HeaderValue>;

  Headers() = default;
  Headers(std::initializer_list<Entry> entries) {
    for (const Entry& e : entries) set(e.first, e.second);
  }

  // Replaces the value of `key`, or appends it; insertion order is kept.
  void set(Symbol key, HeaderValue value) {
    for (Entry& e : entries_) {
      if (e.first == key) {
        e.second = std::move(value);
        return;
      }
    }
    entries_.emplace_back(key, std::move(value));
  }
  // The value of `key`, or nullptr.
  [[nodiscard]] const HeaderValue* find(Symbol key) const noexcept {
    for (const Entry& e : entries_) {
      if (e.first == key) return &e.second;
    }
    return nullptr;
  }
  // The value of `key` as text ("" when absent).
  [[nodiscard]] std::string_view text(Symbol key) const noexcept {
    const HeaderValue* v = find(key);
    if (v == nullptr) return {};
    return std::visit([](const auto& x) { return x.view(); }, *v);
  }
  bool erase(Symbol key) {
    return std::erase_if(entries_, [key](const Entry& e) { return e.first == key; }) != 0;
  }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  [[nodiscard]] auto begin() const noexcept { return entries_.begin(); }
  [[nodiscard]] auto end() const noexcept { return entries_.end(); }
  [[nodiscard]] const std::vector<Entry>& entries() const noexcept { return entries_; }

  friend bool operator==(const Headers&, const Headers&) = default;

 private:
  std::vector<Entry> entries_;
};

inline void sw_encode(BinaryWriter& w, const Headers& h) {
  w.write(h.entries());
}
inline void sw_decode(BinaryReader& r, Headers& h) {
  std::vector<Headers::Entry> entries;
  r.read(entries);
  h = Headers();
  for (auto& [key, value] : entries) h.set(key, std::move(value));
}

enum class Compression : std::uint8_t { none = 0, lz4 = 1, zstd = 2 };

inline void sw_encode(BinaryWriter& w, Compression c) {
  w.write_fixed(c);
}
inline void sw_decode(BinaryReader& r, Compression& c) {
  const std::size_t at = r.offset();
  const auto raw = r.read_fixed<std::uint8_t>();
  if (raw > static_cast<std::uint8_t>(Compression::zstd)) {
    r.fail<Compression>(at, "unknown compression " + std::to_string(raw));
  }
  c = static_cast<Compression>(raw);
}

template <class T>
struct Message {
  std::uint64_t id = 0;
  std::int64_t timestamp_ns = 0;  // event time, nanoseconds since the Unix epoch
  Symbol content_type;
  Compression compression = Compression::none;  // of the payload, as produced upstream
  std::uint8_t priority = 0;                    // higher first where an operator orders
  std::int64_t ttl_ms = 0;                      // 0: never expires
  Symbol source;
  Symbol destination;
  Headers headers;
  std::uint32_t version = 1;  // of the payload's schema
  T payload{};

  friend bool operator==(const Message&, const Message&) = default;
};

}  // namespace sw
