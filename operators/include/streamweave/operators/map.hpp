// map: f(item) -> U, one output per input. Options: NodeOptions (parallelism, batching,
// error policy). A shared input item is passed to f by const reference when f accepts one,
// else copied once. A whole batch runs in one loop: in place when the item type stays the
// same and this is the batch's last holder, else into a pooled batch.
#pragma once

#include <concepts>
#include <functional>
#include <utility>
#include <vector>

#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/stream.hpp"

namespace sw {

// f(item) -> U: one output per input.
template <class F, class T>
concept MapFunction =
    Item<T> && std::invocable<F&, T&&> && Item<std::remove_cvref_t<std::invoke_result_t<F&, T&&>>>;

template <class F, class T>
requires MapFunction<F, T>
using map_result_t = std::remove_cvref_t<std::invoke_result_t<F&, T&&>>;

template <class In, class Out, class F>
class MapKernel final : public TransformBase<In, Out> {
 public:
  MapKernel(const InstanceContext& ctx, F f)
      : TransformBase<In, Out>(ctx), f_(std::move(f)), pool_(&make_pool<Out>(ctx)) {}

  void push_items(BatchPtr<In> batch) override {
    if (this->went_item_by_item(batch)) return;
    auto& items = batch->items;
    const std::size_t n = items.size();
    if constexpr (std::same_as<In, Out>) {
      if (batch->unique()) {
        this->batch_for(
            n, [&](std::size_t i) { items[i] = Out(std::invoke(f_, std::move(items[i]))); });
        this->emit_batch(std::move(batch));
        return;
      }
    }
    BatchPtr<Out> out = pool_->acquire(n);
    const bool owned = batch->unique();
    this->batch_for(n, [&](std::size_t i) {
      if (owned) {
        out->items.push_back(Out(std::invoke(f_, std::move(items[i]))));
      } else if constexpr (std::is_invocable_v<F&, const In&>) {
        out->items.push_back(Out(std::invoke(f_, std::as_const(items[i]))));
      } else {
        out->items.push_back(Out(std::invoke(f_, In(items[i]))));
      }
    });
    batch.reset();
    this->emit_batch(std::move(out));
  }

  void push(In&& item) override {
    this->guarded(std::move(item),
                  [this](In&& x) { this->emit(Out(std::invoke(f_, std::move(x)))); });
  }
  void push_ref(const In& item) override {
    this->guarded(item, [this](const In& x) {
      if constexpr (std::is_invocable_v<F&, const In&>) {
        this->emit(Out(std::invoke(f_, x)));
      } else {
        this->emit(Out(std::invoke(f_, In(x))));
      }
    });
  }

 private:
  F f_;
  BatchPool<Out>* pool_;
};

template <class Self, class T>
class MapMethods : public StreamMixin<Self, MapMethods<Self, T>> {
 public:
  // f(item) -> U for every item.
  template <class F>
  requires MapFunction<F, T> TransformStream<T, map_result_t<F, T>> map(std::string name, F f,
                                                                        NodeOptions options = {})
  const {
    using Out = map_result_t<F, T>;
    return this->self().template add_transform<Out, MapKernel<T, Out, F>>(std::move(name), "map",
                                                                          options, std::move(f));
  }
};

}  // namespace sw
