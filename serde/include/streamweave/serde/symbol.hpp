// Symbol: an interned, immutable string. Two Symbols with the same text share one entry,
// so equality and hashing are O(1) (a pointer compare, a stored hash); use it for keys and
// names that repeat (channels, cities, header keys). Entries live until the process exits:
// intern what repeats, not unbounded user data (use Str for that).
//
// Thread safety: interning and every member function may be used from any thread.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

namespace sw {

class Symbol {
 public:
  // The empty symbol.
  Symbol() noexcept;
  // Interns `text`: looks it up, adds it on first use.
  explicit Symbol(std::string_view text);

  [[nodiscard]] std::string_view view() const noexcept { return entry_->text; }
  [[nodiscard]] std::string str() const { return std::string(entry_->text); }
  [[nodiscard]] std::size_t size() const noexcept { return entry_->text.size(); }
  [[nodiscard]] bool empty() const noexcept { return entry_->text.empty(); }
  // FNV-1a of the text: the same in every process and build.
  [[nodiscard]] std::uint64_t hash() const noexcept { return entry_->hash; }

  friend bool operator==(Symbol a, Symbol b) noexcept { return a.entry_ == b.entry_; }
  // By text, so that ordered containers sort alphabetically.
  friend std::strong_ordering operator<=>(Symbol a, Symbol b) noexcept {
    if (a.entry_ == b.entry_) return std::strong_ordering::equal;
    return a.view().compare(b.view()) <=> 0;
  }
  friend bool operator==(Symbol a, std::string_view b) noexcept { return a.view() == b; }

  // Symbols interned so far (for memory reports).
  [[nodiscard]] static std::size_t interned_count() noexcept;

  struct Entry {
    std::uint64_t hash;
    std::string text;
  };

 private:
  const Entry* entry_;
};

std::ostream& operator<<(std::ostream& out, Symbol s);

}  // namespace sw

template <>
struct std::hash<sw::Symbol> {
  std::size_t operator()(sw::Symbol s) const noexcept { return s.hash(); }
};
