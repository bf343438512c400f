// ItemStage<T> and Emitter<T>: how items emitted one at a time still travel in batches.
//
// Every Input takes whole batches only. Code that produces items one by one (a flat_map's
// or a transformer's emitter, a keyed aggregate's updates, a window firing, a source that
// yields items) appends them to a stage, which hands each full batch to its input and the
// partial one when its owner flushes (at the end of each batch the owner takes in, and
// before a watermark or end of stream goes on).
//
// A stage belongs to the instance that emits and is called only from that instance's task.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "streamweave/engine/batch.hpp"
#include "streamweave/engine/input.hpp"

namespace sw {

template <class T>
class ItemStage {
 public:
  // Items go to `target` in batches of up to `batch_size` taken from `pool`. Called while
  // the run is built.
  void bind(Input<T>& target, BatchPool<T>& pool, std::size_t batch_size) noexcept {
    target_ = &target;
    pool_ = &pool;
    batch_size_ = batch_size == 0 ? 1 : batch_size;
  }
  [[nodiscard]] bool bound() const noexcept { return target_ != nullptr; }
  [[nodiscard]] BatchPool<T>& pool() const noexcept { return *pool_; }

  // Moves (T&&) or copies (const T&) the item into the staged batch.
  void add(T&& item) { append(std::move(item)); }
  void add(const T& item) { append(item); }
  // Appends the items of `from`, moving them out when the caller owns it (Batch::owned()).
  void add_all(Batch<T>& from) {
    if (from.owned()) {
      for (T& item : from.items) append(std::move(item));
      return;
    }
    from.read([this](const auto& items) {
      for (std::size_t i = 0; i < items.size(); ++i) append(items[i]);
    });
  }

  // Hands the staged items, if any, to the input now.
  void flush() {
    if (batch_) target_->push_items(std::exchange(batch_, nullptr));
  }

 private:
  template <class Item>
  void append(Item&& item) {
    if (!batch_) batch_ = pool_->acquire(batch_size_);
    batch_->items.push_back(std::forward<Item>(item));
    if (batch_->items.size() >= batch_size_) flush();
  }

  Input<T>* target_ = nullptr;
  BatchPool<T>* pool_ = nullptr;
  std::size_t batch_size_ = 1;
  BatchPtr<T> batch_;
};

// What a user function gets to emit any number of items (flat_map, class transformers).
// Call it from the thread that called the user function, during that call only.
template <class T>
class Emitter {
 public:
  Emitter(ItemStage<T>& stage, std::uint64_t& emitted) noexcept
      : stage_(&stage), emitted_(&emitted) {}
  void operator()(T&& item) const { emit(std::move(item)); }
  void operator()(const T& item) const { emit(item); }
  void emit(T&& item) const {
    ++*emitted_;
    stage_->add(std::move(item));
  }
  void emit(const T& item) const {
    ++*emitted_;
    stage_->add(item);
  }

 private:
  ItemStage<T>* stage_;
  std::uint64_t* emitted_;
};

}  // namespace sw
