// inspect: calls f(item) for its side effect and passes the item on unchanged, without
// copying it. Options: NodeOptions.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "streamweave/engine/chain.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/stream.hpp"

namespace sw {

// f(const item&): looks at the item, changes nothing.
template <class F, class T>
concept InspectFunction = Item<T> && std::invocable<F&, const T&>;

// inspect as a step of a compiled chain (engine/chain.hpp).
template <class T, class F>
struct InspectStep {
  using in_type = T;
  using out_type = T;
  static constexpr StepKind kind = StepKind::observe;

  [[gnu::always_inline]] void see(const T& item) { std::invoke(f, item); }

  F f;
};

template <class T, class F>
class InspectKernel final : public TransformBase<T, T> {
 public:
  InspectKernel(const InstanceContext& ctx, InspectStep<T, F> step)
      : TransformBase<T, T>(ctx), step_(std::move(step)) {}

  // The batch passes on as it is, shared or not.
  void on_batch(BatchPtr<T>&& batch) override {
    this->read_each(*batch, [&](const T& x) { step_.see(x); });
    this->emit_batch(std::move(batch));
  }

 private:
  InspectStep<T, F> step_;
};

template <class Self, class T>
class InspectMethods : public StreamMixin<Self, InspectMethods<Self, T>> {
 public:
  // Calls f(item) and passes the item on unchanged.
  template <class F>
  requires InspectFunction<F, T>
  auto inspect(std::string name, F f, NodeOptions options = {}) const {
    return this->self().template add_step<T, InspectKernel<T, F>>(
        std::move(name), "inspect", options, InspectStep<T, F>{std::move(f)});
  }
};

}  // namespace sw
