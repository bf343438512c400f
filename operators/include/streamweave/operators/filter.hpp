// filter: keeps the items for which pred(item) is true. Options: NodeOptions. Items of a
// shared batch pass through by reference: filter never copies an item itself.
#pragma once

#include <functional>
#include <utility>

#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/node_types.hpp"

namespace sw {

template <class T, class F>
class Kernel<op::filter, T, F> final : public TransformBase<T, T> {
 public:
  Kernel(const InstanceContext& ctx, F pred) : TransformBase<T, T>(ctx), pred_(std::move(pred)) {}

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

}  // namespace sw
