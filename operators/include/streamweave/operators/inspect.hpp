// inspect: calls f(item) for its side effect and passes the item on unchanged, without
// copying it. Options: NodeOptions.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/stream.hpp"

namespace sw {

// f(const item&): looks at the item, changes nothing.
template <class F, class T>
concept InspectFunction = Item<T> && std::invocable<F&, const T&>;

template <class T, class F>
class InspectKernel final : public TransformBase<T, T> {
 public:
  InspectKernel(const InstanceContext& ctx, F f) : TransformBase<T, T>(ctx), f_(std::move(f)) {}

  // The batch passes on as it is, shared or not.
  void on_batch(BatchPtr<T>&& batch) override {
    this->read_each(*batch, [&](const T& x) { std::invoke(f_, x); });
    this->emit_batch(std::move(batch));
  }

 private:
  F f_;
};

template <class Self, class T>
class InspectMethods : public StreamMixin<Self, InspectMethods<Self, T>> {
 public:
  // Calls f(item) and passes the item on unchanged.
  template <class F>
  requires InspectFunction<F, T> TransformStream<T, T> inspect(std::string name, F f,
                                                               NodeOptions options = {})
  const {
    return this->self().template add_transform<T, InspectKernel<T, F>>(std::move(name), "inspect",
                                                                       options, std::move(f));
  }
};

}  // namespace sw
