// How the items of an edge are spread over the instances of the consuming node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

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
    return reduce_range(hash_key(key_(item)), instances);
  }
  void route(const T* items, std::size_t n, std::size_t instances,
             std::uint32_t* targets) const override {
    for (std::size_t i = 0; i < n; ++i) {
      targets[i] = static_cast<std::uint32_t>(reduce_range(hash_key(key_(items[i])), instances));
    }
  }

 private:
  KeyFn key_;
};

}  // namespace sw
