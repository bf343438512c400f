// Internal: what travels to a task's input, whatever carried it — a batch of items, a
// watermark, a checkpoint barrier or end-of-stream, each from one of the task's input slots
// (its producers).
#pragma once

#include <cstdint>
#include <limits>
#include <variant>

#include "streamweave/engine/batch.hpp"
#include "streamweave/engine/event_time.hpp"

namespace sw::runtime {

// The producer of input slot `slot` promises no item older than `time` from now on.
struct Watermark {
  EventTime time = 0;
};

// The producer of input slot `slot` sent its last event.
struct EndOfStream {};

// Checkpoint `id`: the producer of input slot `slot` took its snapshot after everything it
// sent before this, and before anything it sends after.
struct Barrier {
  std::uint64_t id = 0;
};

// What an event carries. A new kind of in-band signal is one more alternative here and one
// more case where the task takes events (task.cpp).
using Signal = std::variant<BatchRef, Watermark, EndOfStream, Barrier>;

// Event::producer of what no producer's share counts (frames from another rank: credits bound
// them instead).
inline constexpr std::uint32_t kUncountedProducer = std::numeric_limits<std::uint32_t>::max();

// A consumer's input slots are its producers: one per forward edge, one per producer instance
// of any other edge; it passes on the minimum of their watermarks. Events from one slot arrive
// in the order they were sent, so neither end-of-stream nor a watermark overtakes data.
struct Event {
  Signal signal;
  std::uint32_t slot = 0;
  std::uint32_t producer = kUncountedProducer;  // its index on the channel (BasicChannel::push)
};

}  // namespace sw::runtime
