// inspect: calls f(item) for its side effect and passes the item on unchanged, without
// copying it. Options: NodeOptions.
#pragma once

#include <functional>
#include <utility>

#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/node_types.hpp"

namespace sw {

template <class T, class F>
class Kernel<op::inspect, T, F> final : public TransformBase<T, T> {
 public:
  Kernel(const InstanceContext& ctx, F f) : TransformBase<T, T>(ctx), f_(std::move(f)) {}

  void push(T&& item) override {
    this->guarded(std::move(item), [this](T&& x) {
      std::invoke(f_, std::as_const(x));
      this->emit(std::move(x));
    });
  }
  void push_ref(const T& item) override {
    this->guarded(item, [this](const T& x) {
      std::invoke(f_, x);
      this->emit_ref(x);
    });
  }

 private:
  F f_;
};

}  // namespace sw
