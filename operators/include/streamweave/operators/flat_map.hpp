// flat_map: zero or more outputs per input. Two forms:
//   f(item) -> range       each element is emitted (moved out when f returns a container);
//   f(item, emit)          f calls emit(u) per output — no container per item (preferred
//                          on hot paths). Options: NodeOptions.
#pragma once

#include <functional>
#include <type_traits>
#include <utility>

#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/node_types.hpp"

namespace sw {

template <class In, class Out, class F>
class Kernel<op::flat_map, In, Out, F> final : public TransformBase<In, Out> {
 public:
  Kernel(const InstanceContext& ctx, F f) : TransformBase<In, Out>(ctx), f_(std::move(f)) {}

  void push(In&& item) override {
    this->guarded(std::move(item), [this](In&& x) { emit_all(std::invoke(f_, std::move(x))); });
  }
  void push_ref(const In& item) override {
    this->guarded(item, [this](const In& x) {
      if constexpr (std::is_invocable_v<F&, const In&>) {
        emit_all(std::invoke(f_, x));
      } else {
        emit_all(std::invoke(f_, In(x)));
      }
    });
  }

 private:
  template <class Range>
  void emit_all(Range&& range) {
    for (auto&& element : range) {
      if constexpr (std::is_reference_v<Range> ||
                    std::is_const_v<std::remove_reference_t<decltype(element)>>) {
        this->emit(Out(element));  // the range is not ours: copy
      } else {
        this->emit(Out(std::move(element)));
      }
    }
  }

  F f_;
};

template <class In, class Out, class F>
class Kernel<op::flat_map_emit, In, Out, F> final : public TransformBase<In, Out> {
 public:
  Kernel(const InstanceContext& ctx, F f) : TransformBase<In, Out>(ctx), f_(std::move(f)) {}

  void push(In&& item) override { push_ref(item); }
  void push_ref(const In& item) override {
    this->guarded(item, [this](const In& x) {
      Emitter<Out> out = this->emitter();
      std::invoke(f_, x, out);
    });
  }

 private:
  F f_;
};

}  // namespace sw
