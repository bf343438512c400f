// Input<T>: where items go. Every operator instance that takes items implements it, and so
// does the runtime's output collector at the end of a fused chain.
//
// All calls for one instance come from the task that owns it, one at a time; an
// implementation needs no locking.
#pragma once

#include <cstdint>
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
  // An item the callee now owns.
  virtual void push(T&& item) = 0;
  // An item that belongs to a shared batch; the callee copies only what it keeps.
  virtual void push_ref(const T& item) { push(T(item)); }

  // Moves the items out when the caller holds the last reference, else passes them by ref.
  virtual void push_items(BatchPtr<T> batch) {
    if (batch->unique()) {
      for (T& item : batch->items) push(std::move(item));
    } else {
      for (const T& item : batch->items) push_ref(item);
    }
  }

  void push_batch(BatchRef batch) final {
    // Adopt the reference rather than adding one, so push_items sees the true count.
    push_items(BatchPtr<T>(static_cast<Batch<T>*>(batch.detach()), false));
  }
  [[nodiscard]] std::type_index item_type() const noexcept final { return typeid(T); }
};

// What a user function gets to emit any number of items (flat_map, class transformers).
// Call it from the thread that called the user function, during that call only.
template <class T>
class Emitter {
 public:
  Emitter(Input<T>& target, std::uint64_t& emitted) noexcept
      : target_(&target), emitted_(&emitted) {}
  void operator()(T&& item) const { emit(std::move(item)); }
  void operator()(const T& item) const { emit(item); }
  void emit(T&& item) const {
    ++*emitted_;
    target_->push(std::move(item));
  }
  void emit(const T& item) const {
    ++*emitted_;
    target_->push_ref(item);
  }

 private:
  Input<T>* target_;
  std::uint64_t* emitted_;
};

}  // namespace sw
