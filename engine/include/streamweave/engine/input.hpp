// Input<T>: where items go. Every operator instance that takes items implements it, and so
// does the runtime's output collector at the end of a fused chain.
//
// All calls for one instance come from the task that owns it, one at a time; an
// implementation needs no locking.
#pragma once

#include <typeindex>
#include <utility>

#include "streamweave/engine/batch.hpp"
#include "streamweave/engine/event_time.hpp"

namespace sw {

class InputBase {
 public:
  virtual ~InputBase() = default;
  // A whole batch of this input's item type, shared or owned.
  virtual void push_batch(BatchRef batch) = 0;
  // No more items will come: flush state, then finish the outputs.
  virtual void finish() = 0;
  // No item with a time <= `time` will come any more (see event_time.hpp). Called with
  // increasing times, between pushes. Transforms fire what is due and pass it on; the default
  // (sinks) ignores it.
  virtual void watermark(EventTime /*time*/) {}
  [[nodiscard]] virtual std::type_index item_type() const noexcept = 0;
};

template <class T>
class Input : public InputBase {
 public:
  // The one way items enter: a batch the callee may move items out of when it owns it
  // (batch->owned()), and must only read, through batch->read(), otherwise (it is shared, or
  // a view). Items produced one at a time reach an input through an ItemStage
  // (item_stage.hpp).
  virtual void push_items(BatchPtr<T> batch) = 0;

  void push_batch(BatchRef batch) final {
    // Adopt the reference rather than adding one, so push_items sees the true count.
    push_items(BatchPtr<T>(static_cast<Batch<T>*>(batch.detach()), false));
  }
  [[nodiscard]] std::type_index item_type() const noexcept final { return typeid(T); }
};

}  // namespace sw
