// Event time: what items say about when they happened, in the user's unit (NEXMark uses
// epoch milliseconds). A watermark t travels in-band after the items before it and says that
// no later item has a time <= t (Flink's meaning); a node that merges inputs passes on the
// minimum over them. End of stream counts as the watermark kMaxEventTime.
#pragma once

#include <cstdint>
#include <limits>

#include "streamweave/engine/options.hpp"

namespace sw {

using EventTime = std::int64_t;

inline constexpr EventTime kMinEventTime = std::numeric_limits<EventTime>::min();
inline constexpr EventTime kMaxEventTime = std::numeric_limits<EventTime>::max();

// Stream::with_watermarks: bounded out-of-orderness (Flink's forBoundedOutOfOrderness).
struct WatermarkOptions {
  // How far behind the newest time seen an item may still arrive: the watermark is the
  // newest time - out_of_orderness - 1.
  EventTime out_of_orderness = 0;
  // On the item-by-item path (after a filter, say), a watermark every this many items; on the
  // batch path, one after every batch.
  std::size_t every_items = 1024;
  NodeOptions node = {};
};

}  // namespace sw
