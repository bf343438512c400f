// Str: an immutable string that is a refcounted slice of a shared buffer (a decoded frame,
// a memory-mapped file, a pooled copy). Copying one takes a reference; the buffer lives
// while any Str or Bytes refers to it. Compared and hashed by content.
//
// Thread safety: a Str may be read and copied from any thread.
#pragma once

#include <compare>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

#include "streamweave/serde/bytes.hpp"
#include "streamweave/serde/hash.hpp"

namespace sw {

class Str {
 public:
  Str() noexcept = default;
  // A copy of `text` in a pooled buffer.
  explicit Str(std::string_view text, BufferPool& pool = BufferPool::global())
      : bytes_(text.empty() ? Bytes{} : Bytes::copy_of(text, pool)) {}
  // The text in `bytes`, shared, not copied.
  explicit Str(Bytes bytes) noexcept : bytes_(std::move(bytes)) {}

  [[nodiscard]] std::string_view view() const noexcept { return bytes_.as_string_view(); }
  operator std::string_view() const noexcept { return view(); }  // NOLINT: a string view
  [[nodiscard]] std::string str() const { return std::string(view()); }
  [[nodiscard]] std::size_t size() const noexcept { return bytes_.size(); }
  [[nodiscard]] bool empty() const noexcept { return bytes_.empty(); }
  [[nodiscard]] const Bytes& bytes() const noexcept { return bytes_; }
  // Characters [begin, end), sharing the buffer. Throws std::out_of_range when outside.
  [[nodiscard]] Str substr(std::size_t begin, std::size_t end) const {
    return Str(bytes_.slice(begin, end));
  }

  friend bool operator==(const Str& a, const Str& b) noexcept { return a.view() == b.view(); }
  friend bool operator==(const Str& a, std::string_view b) noexcept { return a.view() == b; }
  friend std::strong_ordering operator<=>(const Str& a, const Str& b) noexcept {
    return a.view().compare(b.view()) <=> 0;
  }

 private:
  Bytes bytes_;
};

std::ostream& operator<<(std::ostream& out, const Str& s);

}  // namespace sw

template <>
struct std::hash<sw::Str> {
  std::size_t operator()(const sw::Str& s) const noexcept {
    return std::hash<std::string_view>{}(s.view());
  }
};
