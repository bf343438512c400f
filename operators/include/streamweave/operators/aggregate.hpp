// aggregate / reduce on a KeyedStream: running state per key.
//   keyed.aggregate(name, init, fold, {.emit = ...})   acc = fold(acc, item), or fold(acc&, item)
//   keyed.reduce(name, fold, ...)                       init = Acc{}, Acc = fold's first parameter
// Emits KeyValue{key, acc}: after every item (Emit::every_update, default) or once per key at
// end of stream (Emit::at_end). State lives in the instance that owns the key.
// If fold throws, the key's state is left as it was before the item.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <functional>
#include <utility>
#include <vector>

#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/key_value.hpp"
#include "streamweave/engine/stream.hpp"

namespace sw {

// merge(Acc, const Acc&) -> Acc, or merge(Acc&, const Acc&) updating in place: joins two
// partial results of one key (combine's second phase).
template <class M, class Acc>
concept MergeFunction = std::copy_constructible<Acc> &&
    ((std::invocable<M&, Acc&, const Acc&> &&
      std::is_void_v<std::invoke_result_t<M&, Acc&, const Acc&>>) ||
     (std::invocable<M&, Acc, const Acc&> &&
      std::convertible_to<std::invoke_result_t<M&, Acc, const Acc&>, Acc>));

namespace detail {
template <class F>
struct first_parameter;
template <class C, class R, class A, class... Rest>
struct first_parameter<R (C::*)(A, Rest...) const> {
  using type = std::remove_cvref_t<A>;
};
template <class C, class R, class A, class... Rest>
struct first_parameter<R (C::*)(A, Rest...)> {
  using type = std::remove_cvref_t<A>;
};
template <class R, class A, class... Rest>
struct first_parameter<R (*)(A, Rest...)> {
  using type = std::remove_cvref_t<A>;
};
template <class F>
concept has_call_operator = requires {
  &F::operator();
};
template <class F>
struct accumulator_of {};
template <class F>
requires has_call_operator<F>
struct accumulator_of<F> : first_parameter<decltype(&F::operator())> {
};
template <class R, class A, class... Rest>
struct accumulator_of<R (*)(A, Rest...)> : first_parameter<R (*)(A, Rest...)> {};
}  // namespace detail

// reduce's accumulator type: the (non-generic) function's first parameter.
template <class F>
using accumulator_t = typename detail::accumulator_of<std::decay_t<F>>::type;

// f(Acc, const item&) -> Acc where Acc can be read off f's first parameter.
template <class F, class T>
concept ReduceFunction = requires {
  typename accumulator_t<F>;
}
&&std::default_initializable<accumulator_t<F>>&& AggregateFunction<F, accumulator_t<F>, T>;

namespace detail {
// An aggregate with no merge function: a key's state is in one instance only.
struct NoMerge {};

template <class M, class Acc>
void merge_into(M& merge, Acc& acc, const Acc& other) {
  if constexpr (std::is_invocable_v<M&, Acc&, const Acc&> &&
                std::is_void_v<std::invoke_result_t<M&, Acc&, const Acc&>>) {
    std::invoke(merge, acc, other);
  } else {
    acc = std::invoke(merge, std::move(acc), other);
  }
}
}  // namespace detail

// `Merge`: combine's local half, whose instances each hold a partial result per key; restored
// with another parallelism, an instance may take the partials of one key from several saved
// instances, and merges them.
template <class T, class KeyFn, class Acc, class G, class Merge = detail::NoMerge>
class AggregateKernel final : public TransformBase<T, KeyValue<key_result_t<KeyFn, T>, Acc>> {
  using Key = key_result_t<KeyFn, T>;
  using Out = KeyValue<Key, Acc>;
  static constexpr bool kSaveable = BinaryCodable<Key> && BinaryCodable<Acc> &&
                                    std::default_initializable<Key> &&
                                    std::default_initializable<Acc>;

 public:
  AggregateKernel(const InstanceContext& ctx, KeyFn key, Acc init, G fold, Emit emit,
                  Merge merge = {})
      : TransformBase<T, Out>(ctx),
        key_(std::move(key)),
        init_(std::move(init)),
        fold_(std::move(fold)),
        emit_(emit),
        merge_(std::move(merge)) {}

  // As the tail of a compiled chain (engine/chain.hpp): one item.
  [[gnu::always_inline]] void fused_item(const T& item) { update(item); }

  // Keys held by this instance (state size).
  [[nodiscard]] std::size_t keys() const noexcept { return state_.size(); }

  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return kSaveable ? Checkpointing::saves_state : Checkpointing::cannot_save;
  }
  void snapshot(StateWriter& state) override {
    if constexpr (kSaveable) {
      state.keyed_map(state_);
    }
  }
  void restore(StateReader& state) override {
    if constexpr (kSaveable) {
      const auto restored = [](const auto&) {};
      if constexpr (std::is_same_v<Merge, detail::NoMerge>) {
        state.keyed_map(state_, *this->ctx_.node, restored);
      } else {
        state.keyed_map(state_, *this->ctx_.node, restored, [this](Acc& held, Acc&& saved) {
          detail::merge_into(merge_, held, saved);
        });
      }
    }
  }

 protected:
  void on_batch(BatchPtr<T>&& batch) override {
    this->read_each(*batch, [&](const T& x) { update(x); });
  }

  void on_finish() override {
    if (emit_ != Emit::at_end) return;
    for (auto& [key, acc] : state_) this->emit(Out{key, std::move(acc)});
    state_.clear();
  }

 private:
  // Inlined into the batch loop: out of line, the call per item was a tenth of pipeline P's
  // instructions per event (callgrind).
  [[gnu::always_inline]] void update(const T& item) {
    auto [it, inserted] = state_.try_emplace(std::invoke(key_, item), init_);
    try {
      if constexpr (std::is_invocable_v<G&, Acc&, const T&> &&
                    std::is_void_v<std::invoke_result_t<G&, Acc&, const T&>>) {
        std::invoke(fold_, it->second, item);
      } else {
        it->second = std::invoke(fold_, std::as_const(it->second), item);
      }
    } catch (...) {
      if (inserted) state_.erase(it);
      throw;
    }
    if (emit_ == Emit::every_update) this->emit(Out{it->first, it->second});
  }

  KeyFn key_;
  Acc init_;
  G fold_;
  Emit emit_;
  [[no_unique_address]] Merge merge_;
  boost::unordered_flat_map<Key, Acc, std::hash<Key>> state_;
};

template <class Self, class T, class KeyFn>
class AggregateMethods : public StreamMixin<Self, AggregateMethods<Self, T, KeyFn>> {
  using key_type = key_result_t<KeyFn, T>;

 public:
  // Running state per key: acc = fold(acc, item), starting from `init`; emits
  // KeyValue{key, acc} after every item, or once per key at end (options.emit).
  template <class Acc, class G>
  requires AggregateFunction<G, Acc, T> TransformStream<T, KeyValue<key_type, Acc>> aggregate(
      std::string name, Acc init, G fold, ReduceOptions options = {})
  const {
    using Out = KeyValue<key_type, Acc>;
    return this->self().template add_tail<Out, AggregateKernel<T, KeyFn, Acc, G>>(
        std::move(name), "aggregate", options.node, this->self().key(), std::move(init),
        std::move(fold), options.emit);
  }

  // Two-phase keyed aggregation, emitted once per key at end of stream: each upstream
  // instance first folds its own items per key (fused into its chain, before the shuffle),
  // then only the partial results cross the hash edge and are merged per key. `init` must be
  // merge's identity (0 for a sum). Adds the nodes `<name>/local` and `<name>`.
  template <class Acc, class G, class M>
  requires AggregateFunction<G, Acc, T> && MergeFunction<M, Acc>
      TransformStream<KeyValue<key_type, Acc>, KeyValue<key_type, Acc>> combine(
          std::string name, Acc init, G fold, M merge, NodeOptions options = {})
  const {
    using Partial = KeyValue<key_type, Acc>;
    NodeOptions local;
    local.parallelism = this->self().options().parallelism;  // same instances: the edge fuses
    auto partials =
        this->self().unshuffled().template add_tail<Partial, AggregateKernel<T, KeyFn, Acc, G, M>>(
            name + "/local", "aggregate", local, this->self().key(), init, std::move(fold),
            Emit::at_end, merge);
    auto merge_into = [merge = std::move(merge)](Acc& acc, const Partial& partial) {
      detail::merge_into(merge, acc, partial.value);
    };
    return partials.key_by([](const Partial& partial) { return partial.key; })
        .aggregate(std::move(name), std::move(init), std::move(merge_into),
                   ReduceOptions{.emit = Emit::at_end, .node = options});
  }

  // aggregate() whose accumulator type is fold's first parameter, starting value-initialised:
  // reduce("sum", [](std::int64_t acc, const Bid& b) { return acc + b.price; }).
  template <class G>
  requires ReduceFunction<G, T>
  auto reduce(std::string name, G fold, ReduceOptions options = {}) const {
    return aggregate(std::move(name), accumulator_t<G>{}, std::move(fold), options);
  }
};

}  // namespace sw
