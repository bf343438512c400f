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
  MapKernel(const InstanceContext& ctx, F f) : TransformBase<In, Out>(ctx), f_(std::move(f)) {}

 protected:
  // A batch this node owns is mapped in place when the type stays; otherwise the results go
  // into a new batch.
  void on_batch(BatchPtr<In>&& batch) override {
    if constexpr (std::same_as<In, Out>) {
      if (batch->owned()) {
        auto& items = batch->items;
        this->batch_for(items.size(), [&](std::size_t i) {
          items[i] = Out(std::invoke(f_, std::move(items[i])));
        });
        this->emit_batch(std::move(batch));
        return;
      }
    }
    BatchPtr<Out> out = this->out_pool().acquire(batch->size());
    if (batch->owned()) {
      auto& items = batch->items;
      this->batch_for(items.size(), [&](std::size_t i) {
        out->items.push_back(Out(std::invoke(f_, std::move(items[i]))));
      });
    } else {
      this->read_each(*batch, [&](const In& x) { out->items.push_back(Out(call_shared(x))); });
    }
    this->done_with(batch);
    this->emit_batch(std::move(out));
  }

 private:
  // f on an item the batch shares: by reference when f takes one, else on a copy.
  decltype(auto) call_shared(const In& x) {
    if constexpr (std::is_invocable_v<F&, const In&>) {
      return std::invoke(f_, x);
    } else {
      return std::invoke(f_, In(x));
    }
  }

  F f_;
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
