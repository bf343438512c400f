// filter: keeps the items for which pred(item) is true. Options: NodeOptions. A batch this
// node holds alone is compacted in place; items of a shared batch pass on one by one, by
// reference: filter never copies an item itself.
#pragma once

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/stream.hpp"

namespace sw {

// f(const item&) -> bool: keep the item when true.
template <class F, class T>
concept FilterPredicate = Item<T> && std::predicate<F&, const T&>;

template <class T, class F>
class FilterKernel final : public TransformBase<T, T> {
 public:
  FilterKernel(const InstanceContext& ctx, F pred)
      : TransformBase<T, T>(ctx), pred_(std::move(pred)) {}

  void push_items(BatchPtr<T> batch) override {
    if (this->went_item_by_item(batch, /*batch_path_ok=*/batch->unique())) return;
    auto& items = batch->items;
    const std::size_t n = items.size();
    std::size_t kept = 0;
    this->batch_for(n, [&](std::size_t i) {
      if (std::invoke(pred_, std::as_const(items[i]))) {
        if (kept != i) items[kept] = std::move(items[i]);
        ++kept;
      }
    });
    items.erase(items.begin() + static_cast<std::ptrdiff_t>(kept), items.end());
    if (!items.empty()) this->emit_batch(std::move(batch));
  }

  void push(T&& item) override {
    this->guarded(std::move(item), [this](T&& x) {
      if (std::invoke(pred_, std::as_const(x))) this->emit(std::move(x));
    });
  }
  void push_ref(const T& item) override {
    this->guarded(item, [this](const T& x) {
      if (std::invoke(pred_, x)) this->emit_ref(x);
    });
  }

 private:
  F pred_;
};

template <class Self, class T>
class FilterMethods : public StreamMixin<Self, FilterMethods<Self, T>> {
 public:
  // Keeps the items for which pred(item) is true.
  template <class F>
  requires FilterPredicate<F, T> TransformStream<T, T> filter(std::string name, F pred,
                                                              NodeOptions options = {})
  const {
    return this->self().template add_transform<T, FilterKernel<T, F>>(std::move(name), "filter",
                                                                      options, std::move(pred));
  }
};

}  // namespace sw
