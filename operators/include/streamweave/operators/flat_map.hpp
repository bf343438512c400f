// flat_map: zero or more outputs per input. Two forms:
//   f(item) -> range       each element is emitted (moved out when f returns a container);
//   f(item) -> optional    none or one (moved out);
//   f(item, emit)          f calls emit(u) per output — no container per item (preferred
//                          on hot paths). Options: NodeOptions.
#pragma once

#include <functional>
#include <optional>
#include <ranges>
#include <type_traits>
#include <utility>

#include "streamweave/engine/chain.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/stream.hpp"

namespace sw {

namespace detail {
template <class R>
struct FlatMapOutput {
  using type = std::ranges::range_value_t<R>;
};
template <class U>
struct FlatMapOutput<std::optional<U>> {
  using type = U;
};
template <class R>
inline constexpr bool kIsOptional = false;
template <class U>
inline constexpr bool kIsOptional<std::optional<U>> = true;
}  // namespace detail

// What f(item) of a flat_map returns: a range, or a std::optional (none or one).
template <class R>
concept FlatMapResult = std::ranges::input_range<R> || detail::kIsOptional<std::remove_cvref_t<R>>;
// The item type a flat_map emits for f's result R.
template <class R>
using flat_map_output_t =
    std::remove_cvref_t<typename detail::FlatMapOutput<std::remove_cvref_t<R>>::type>;

// f(item) -> a range of U, or std::optional<U>: zero or more outputs per input.
template <class F, class T>
concept FlatMapFunction =
    Item<T> && std::invocable<F&, T&&> && FlatMapResult<std::invoke_result_t<F&, T&&>> &&
    Item<flat_map_output_t<std::invoke_result_t<F&, T&&>>>;

// f(const item&, Emitter<U>&): emits any number of U through the emitter.
template <class F, class T, class U>
concept FlatMapEmitter = Item<T> && Item<U> && std::invocable < F&,
        const T&, Emitter<U>
& > ;

// flat_map (a range or an optional) as a step of a compiled chain (engine/chain.hpp): each element
// goes on down the chain as f yields it.
template <class In, class Out, class F>
struct FlatMapStep {
  using in_type = In;
  using out_type = Out;
  static constexpr StepKind kind = StepKind::expand;

  template <class X, class Emit>
  [[gnu::always_inline]] void expand(X&& item, Emit& emit) {
    if constexpr (std::is_invocable_v<F&, X&&>) {
      emit_all(std::invoke(f, std::forward<X>(item)), emit);
    } else {
      emit_all(std::invoke(f, In(item)), emit);
    }
  }

  // Inlined: g++ left it out of line in a chain with a step after it (NEXMark q1), which cost
  // q1 some 24 instructions per event.
  template <class Range, class Emit>
  [[gnu::always_inline]] static void emit_all(Range&& range, Emit&& emit) {
    using R = std::remove_cvref_t<Range>;
    // f returned it by value, and it holds its elements (a container, an optional): they are
    // ours to move. The elements of a view (a span, a filter over the caller's vector) or of
    // a range f returned by reference belong to someone else, unless it yields temporaries.
    constexpr bool kOwns = !std::is_reference_v<Range> && !std::ranges::view<R>;
    if constexpr (detail::kIsOptional<R>) {
      if (!range) return;
      if constexpr (kOwns && !std::is_const_v<Range>) {
        emit_one(std::move(*range), emit);
      } else {
        emit_one(std::as_const(*range), emit);
      }
    } else {
      using Ref = std::ranges::range_reference_t<R>;
      constexpr bool kMove = !std::is_const_v<std::remove_reference_t<Ref>> &&
                             (kOwns || !std::is_lvalue_reference_v<Ref>);
      for (auto&& element : range) {
        if constexpr (kMove) {
          emit_one(std::move(element), emit);
        } else {
          emit_one(std::as_const(element), emit);
        }
      }
    }
  }

  // Hands emit an Out&&: an element that is one already is passed on as it is, with no
  // temporary to move it into; any other is converted (moved or copied) into one.
  template <class X, class Emit>
  [[gnu::always_inline]] static void emit_one(X&& element, Emit& emit) {
    if constexpr (std::is_same_v<X, Out>) {
      emit(std::move(element));
    } else {
      emit(Out(std::forward<X>(element)));
    }
  }

  F f;
};

template <class In, class Out, class F>
class FlatMapKernel final : public TransformBase<In, Out> {
 public:
  FlatMapKernel(const InstanceContext& ctx, FlatMapStep<In, Out, F> step)
      : TransformBase<In, Out>(ctx), step_(std::move(step)) {}

 protected:
  void on_batch(BatchPtr<In>&& batch) override {
    auto emit = [this](Out&& out) { this->emit(std::move(out)); };
    if (batch->owned()) {
      auto& items = batch->items;
      this->batch_for(items.size(),
                      [&](std::size_t i) { step_.expand(std::move(items[i]), emit); });
      return;
    }
    this->read_each(*batch, [&](const In& x) { step_.expand(x, emit); });
  }

 private:
  FlatMapStep<In, Out, F> step_;
};

template <class In, class Out, class F>
class FlatMapEmitKernel final : public TransformBase<In, Out> {
 public:
  FlatMapEmitKernel(const InstanceContext& ctx, F f)
      : TransformBase<In, Out>(ctx), f_(std::move(f)) {}

 protected:
  void on_batch(BatchPtr<In>&& batch) override {
    Emitter<Out> out = this->emitter();
    this->read_each(*batch, [&](const In& x) { std::invoke(f_, x, out); });
  }

 private:
  F f_;
};

template <class Self, class T>
class FlatMapMethods : public StreamMixin<Self, FlatMapMethods<Self, T>> {
 public:
  // f(item) returns a range, each of whose elements is emitted, or a std::optional, emitted
  // when it holds a value.
  template <class F>
  requires FlatMapFunction<F, T>
  auto flat_map(std::string name, F f, NodeOptions options = {}) const {
    using Out = flat_map_output_t<std::invoke_result_t<F&, T&&>>;
    return this->self().template add_step<Out, FlatMapKernel<T, Out, F>>(
        std::move(name), "flat_map", options, FlatMapStep<T, Out, F>{std::move(f)});
  }

  // f(item, emit) calls emit(u) for each output: no container per item.
  template <class U, class F>
  requires FlatMapEmitter<F, T, U> TransformStream<T, U> flat_map(std::string name, F f,
                                                                  NodeOptions options = {})
  const {
    return this->self().template add_transform<U, FlatMapEmitKernel<T, U, F>>(
        std::move(name), "flat_map", options, std::move(f));
  }
};

}  // namespace sw
