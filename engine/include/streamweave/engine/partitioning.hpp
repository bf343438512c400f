// How the items of an edge are spread over the instances of the consuming node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "streamweave/serde/hash.hpp"

namespace sw {

enum class Partitioning : std::uint8_t {
  forward,    // instance i feeds instance i; fused into one task where possible
  rebalance,  // whole batches round-robin over all consumer instances
  hash,       // each item to the instance that owns hash(key(item))
  broadcast,  // every batch to every consumer instance (shared, not copied, in process)
  gather,     // every batch to consumer instance 0
};

[[nodiscard]] constexpr std::string_view to_string(Partitioning p) noexcept {
  switch (p) {
    case Partitioning::forward:
      return "forward";
    case Partitioning::rebalance:
      return "rebalance";
    case Partitioning::hash:
      return "hash";
    case Partitioning::broadcast:
      return "broadcast";
    case Partitioning::gather:
      return "gather";
  }
  return "?";
}

// Keys are spread over instances in key groups, so that keyed state saved by one parallelism
// restores into another: a key belongs to key group key_group(hash_key(key)) for good, and
// instance i of n owns the contiguous groups [i * kKeyGroups / n, (i + 1) * kKeyGroups / n),
// rounded up (Flink's key groups; kKeyGroups is its maximum parallelism). A run with more
// instances than key groups leaves the extra instances without keys.
inline constexpr std::uint32_t kKeyGroupBits = 12;
inline constexpr std::uint32_t kKeyGroups = std::uint32_t{1} << kKeyGroupBits;

[[nodiscard]] constexpr std::uint32_t key_group(std::uint64_t key_hash) noexcept {
  return static_cast<std::uint32_t>(key_hash >> (64 - kKeyGroupBits));
}
// The instance of `instances` that owns key group `group`.
[[nodiscard]] constexpr std::size_t owner_of_key_group(std::uint32_t group,
                                                       std::size_t instances) noexcept {
  return (group * instances) >> kKeyGroupBits;
}
// The instance of `instances` that owns the key of hash `key_hash`.
[[nodiscard]] constexpr std::size_t owner_of_key(std::uint64_t key_hash,
                                                 std::size_t instances) noexcept {
  return owner_of_key_group(key_group(key_hash), instances);
}
// The key groups [first, end) that instance `instance` of `instances` owns.
[[nodiscard]] constexpr std::pair<std::uint32_t, std::uint32_t> key_groups_of(
    std::size_t instance, std::size_t instances) noexcept {
  auto bound = [instances](std::size_t i) {
    return static_cast<std::uint32_t>((i * kKeyGroups + instances - 1) / instances);
  };
  return {bound(instance), bound(instance + 1)};
}

class KeyRouterBase {
 public:
  virtual ~KeyRouterBase() = default;
};

// Picks the consumer instance of an item on a hash edge. Stateless; any thread.
template <class T>
class KeyRouter : public KeyRouterBase {
 public:
  [[nodiscard]] virtual std::size_t route(const T& item, std::size_t instances) const = 0;
  // The instance of each of `n` items, in one call per batch.
  virtual void route(const T* items, std::size_t n, std::size_t instances,
                     std::uint32_t* targets) const = 0;
};

template <class T, class KeyFn>
class KeyRouterFor final : public KeyRouter<T> {
 public:
  explicit KeyRouterFor(KeyFn key) : key_(std::move(key)) {}
  [[nodiscard]] std::size_t route(const T& item, std::size_t instances) const override {
    return owner_of_key(hash_key(key_(item)), instances);
  }
  void route(const T* items, std::size_t n, std::size_t instances,
             std::uint32_t* targets) const override {
    for (std::size_t i = 0; i < n; ++i) {
      targets[i] = static_cast<std::uint32_t>(owner_of_key(hash_key(key_(items[i])), instances));
    }
  }

 private:
  KeyFn key_;
};

}  // namespace sw
