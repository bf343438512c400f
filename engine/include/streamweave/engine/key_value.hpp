// KeyValue<K, V>: what keyed aggregations emit.
#pragma once

#include "streamweave/engine/options.hpp"

namespace sw {

template <class K, class V>
struct KeyValue {
  K key;
  V value;
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
  friend auto operator<=>(const KeyValue&, const KeyValue&) = default;
};

// When a keyed aggregation emits: after every item (a running result, as Flink's reduce)
// or once per key at end of stream.
enum class Emit : unsigned char { every_update, at_end };

struct ReduceOptions {
  Emit emit = Emit::every_update;
  NodeOptions node = {};
};

}  // namespace sw
