// Internal: one way events reach a task. A task pulls from each of its receivers in turn: its
// channel (in process, and forward edges in distributed mode) and, in distributed mode, one
// frame receiver per exchange edge into it (distributed/frame_receiver.hpp), which decodes.
#pragma once

#include "event.hpp"

namespace sw::runtime {

// Called by the consuming task only (never concurrently with itself); the producing side of
// each receiver says which threads push into it.
class Receiver {
 public:
  virtual ~Receiver() = default;
  // The next event into `event`, or false when none is waiting. Throws what decoding throws
  // (ExchangeError for a bad frame).
  [[nodiscard]] virtual bool pull(Event& event) = 0;
  [[nodiscard]] virtual bool empty() const noexcept = 0;
};

}  // namespace sw::runtime
