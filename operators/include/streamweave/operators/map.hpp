// map: f(item) -> U, one output per input. Options: NodeOptions (parallelism, batching,
// error policy). A shared input item is passed to f by const reference when f accepts one,
// else copied once. A whole batch runs in one loop: in place when the item type stays the
// same and this is the batch's last holder, else into a pooled batch.
#pragma once

#include <concepts>
#include <functional>
#include <utility>
#include <vector>

#include "streamweave/engine/chain.hpp"
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

// map as a step of a compiled chain (engine/chain.hpp).
template <class In, class Out, class F>
struct MapStep {
  using in_type = In;
  using out_type = Out;
  static constexpr StepKind kind = StepKind::map;

  template <class X>
  [[gnu::always_inline]] Out apply(X&& item) {
    if constexpr (std::is_invocable_v<F&, X&&>) {
      return Out(std::invoke(f, std::forward<X>(item)));
    } else {
      return Out(std::invoke(f, In(item)));
    }
  }

  F f;
};

template <class In, class Out, class F>
class MapKernel final : public TransformBase<In, Out> {
 public:
  MapKernel(const InstanceContext& ctx, MapStep<In, Out, F> step)
      : TransformBase<In, Out>(ctx), step_(std::move(step)) {}

 protected:
  // A batch this node owns is mapped in place when the type stays; otherwise the results go
  // into a new batch.
  void on_batch(BatchPtr<In>&& batch) override {
    if constexpr (std::same_as<In, Out>) {
      if (batch->owned()) {
        auto& items = batch->items;
        this->batch_for(items.size(),
                        [&](std::size_t i) { items[i] = step_.apply(std::move(items[i])); });
        this->emit_batch(std::move(batch));
        return;
      }
    }
    BatchPtr<Out> out = this->out_pool().acquire(batch->size());
    if (batch->owned()) {
      auto& items = batch->items;
      this->batch_for(items.size(), [&](std::size_t i) {
        out->items.push_back(step_.apply(std::move(items[i])));
      });
    } else {
      this->read_each(*batch, [&](const In& x) { out->items.push_back(step_.apply(x)); });
    }
    this->done_with(batch);
    this->emit_batch(std::move(out));
  }

 private:
  MapStep<In, Out, F> step_;
};

template <class Self, class T>
class MapMethods : public StreamMixin<Self, MapMethods<Self, T>> {
 public:
  // f(item) -> U for every item.
  template <class F>
  requires MapFunction<F, T>
  auto map(std::string name, F f, NodeOptions options = {}) const {
    using Out = map_result_t<F, T>;
    return this->self().template add_step<Out, MapKernel<T, Out, F>>(
        std::move(name), "map", options, MapStep<T, Out, F>{std::move(f)});
  }
};

}  // namespace sw
