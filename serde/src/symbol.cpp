#include "streamweave/serde/symbol.hpp"

#include <array>
#include <atomic>
#include <boost/unordered/unordered_flat_map.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <ostream>
#include <shared_mutex>

#include "streamweave/serde/hash.hpp"

namespace sw {

namespace {

// Sharded by hash, so that threads interning different strings rarely meet on a lock; a
// read lock suffices for the common case, a symbol already interned.
class Interner {
 public:
  const Symbol::Entry* intern(std::string_view text) {
    const std::uint64_t h = fnv1a64(text);
    Shard& shard = shards_[mix64(h) % kShards];
    {
      std::shared_lock lock(shard.mutex);
      if (auto it = shard.index.find(text); it != shard.index.end()) return it->second;
    }
    std::unique_lock lock(shard.mutex);
    if (auto it = shard.index.find(text); it != shard.index.end()) return it->second;
    // std::deque never moves its elements, so views of the stored text stay valid.
    const Symbol::Entry& entry = shard.entries.emplace_back(Symbol::Entry{h, std::string(text)});
    shard.index.emplace(std::string_view(entry.text), &entry);
    count_.fetch_add(1, std::memory_order_relaxed);
    return &entry;
  }
  [[nodiscard]] std::size_t count() const noexcept {
    return count_.load(std::memory_order_relaxed);
  }

 private:
  static constexpr std::size_t kShards = 64;
  struct Shard {
    std::shared_mutex mutex;
    std::deque<Symbol::Entry> entries;
    boost::unordered_flat_map<std::string_view, const Symbol::Entry*> index;
  };
  std::array<Shard, kShards> shards_;
  std::atomic<std::size_t> count_{0};
};

// Never destroyed: Symbols in static objects may be used until the process ends.
Interner& interner() {
  static Interner& i = *std::make_unique<Interner>().release();
  return i;
}

const Symbol::Entry* empty_entry() {
  static const Symbol::Entry* e = interner().intern({});
  return e;
}

}  // namespace

Symbol::Symbol() noexcept : entry_(empty_entry()) {}

Symbol::Symbol(std::string_view text) : entry_(interner().intern(text)) {}

std::size_t Symbol::interned_count() noexcept {
  return interner().count();
}

std::ostream& operator<<(std::ostream& out, Symbol s) {
  return out << s.view();
}

}  // namespace sw
