// map: f(item) -> U, one output per input. Options: NodeOptions (parallelism, batching,
// error policy). A shared input item is passed to f by const reference when f accepts one,
// else copied once.
#pragma once

#include <functional>
#include <utility>

#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/node_types.hpp"

namespace sw {

template <class In, class Out, class F>
class Kernel<op::map, In, Out, F> final : public TransformBase<In, Out> {
 public:
  Kernel(const InstanceContext& ctx, F f) : TransformBase<In, Out>(ctx), f_(std::move(f)) {}

  void push(In&& item) override {
    this->guarded(std::move(item), [this](In&& x) { this->emit(Out(std::invoke(f_, std::move(x)))); });
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
};

}  // namespace sw
