// join (Stream::join, join_until, interval_join, window_join): a keyed join of two streams, A and
// B, carried as one stream of std::variant<A, B> (both inputs tagged and merged, then hashed by
// key, so a key's items of both sides meet in one instance). Each arriving item is matched
// against the other side's items held for its key, then held itself: f(a, b) -> Out, or
// std::optional<Out> to say "no match" (a join condition). An item is held until the
// watermark reaches its expiry (never, for Stream::join); the state size is in the report.
// Outputs come in arrival order. Options: NodeOptions.
#pragma once

#include <algorithm>
#include <boost/unordered/unordered_flat_map.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "streamweave/engine/event_time.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/keyed_state.hpp"
#include "streamweave/engine/state.hpp"
#include "streamweave/engine/stream.hpp"
#include "streamweave/operators/flat_map.hpp"
#include "streamweave/operators/map.hpp"
#include "streamweave/operators/merge.hpp"
#include "streamweave/operators/window.hpp"

namespace sw {

namespace detail {
template <class R>
struct join_output {
  using type = R;
};
template <class R>
struct join_output<std::optional<R>> {
  using type = R;
};

// f_a(a) or f_b(b), whichever side `x` holds: a function of both sides of a join, carried as
// one stream of Both = std::variant<A, B>.
template <class Both, class FA, class FB>
auto on_either(FA fa, FB fb) {
  return [fa = std::move(fa), fb = std::move(fb)](const Both& x) {
    return x.index() == 0 ? std::invoke(fa, std::get<0>(x)) : std::invoke(fb, std::get<1>(x));
  };
}
}  // namespace detail

// What a join of A and B with f(a, b) emits: f's result, or the value of its optional.
template <class A, class B, class F>
using join_output_t = typename detail::join_output<
    std::remove_cvref_t<std::invoke_result_t<F&, const A&, const B&>>>::type;

template <class A, class B, class KeyFn, class F, class ExpireA, class ExpireB>
class JoinKernel final : public TransformBase<std::variant<A, B>, join_output_t<A, B, F>> {
  using In = std::variant<A, B>;
  using Out = join_output_t<A, B, F>;
  using Key = key_result_t<KeyFn, In>;
  using Base = TransformBase<In, Out>;

  template <class T>
  struct Held {
    T item;
    EventTime expires;
  };
  struct PerKey {
    std::vector<Held<A>> left;
    std::vector<Held<B>> right;
    // The key's pending timer: the earliest expiry of its items when it was set (kMaxEventTime:
    // none). Derived, so not saved: restore sets it again.
    EventTime timer = kMaxEventTime;

    friend void sw_encode(BinaryWriter& w, const PerKey& held) {
      w.write(held.left);
      w.write(held.right);
    }
    friend void sw_decode(BinaryReader& r, PerKey& held) {
      r.read(held.left);
      r.read(held.right);
    }
  };
  static constexpr bool kSaveable =
      BinaryCodable<A> && BinaryCodable<B> && BinaryCodable<Key> && std::default_initializable<A> &&
      std::default_initializable<B> && std::default_initializable<Key>;

 public:
  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return kSaveable ? Checkpointing::saves_state : Checkpointing::cannot_save;
  }
  // The watermark and the items held per key, in arrival order (the order they match in).
  void snapshot(StateWriter& state) override {
    if constexpr (kSaveable) {
      state.value(watermark_);
      state.keyed_map(state_.map());
    }
  }
  void restore(StateReader& state) override {
    if constexpr (kSaveable) {
      watermark_ = restored_event_time(state);
      state.keyed_map(state_.map(), *this->ctx_.node, [this](auto& entry) {
        PerKey& held = entry.second;
        held_ += held.left.size() + held.right.size();
        state_.add_bytes(static_cast<std::ptrdiff_t>(held.left.size() * sizeof(Held<A>) +
                                                     held.right.size() * sizeof(Held<B>)));
        EventTime first = kMaxEventTime;
        for (const auto& h : held.left) first = std::min(first, h.expires);
        for (const auto& h : held.right) first = std::min(first, h.expires);
        schedule(entry.first, held, first);
      });
      state_.set_entries(held_);
      state_.record_peak(this->metrics_);
    }
  }
  JoinKernel(const InstanceContext& ctx, KeyFn key, F f, ExpireA expire_a, ExpireB expire_b)
      : Base(ctx),
        key_(std::move(key)),
        f_(std::move(f)),
        expire_a_(std::move(expire_a)),
        expire_b_(std::move(expire_b)) {}

 protected:
  void on_batch(BatchPtr<In>&& batch) override {
    if (batch->owned()) {
      auto& items = batch->items;
      this->batch_for(items.size(), [&](std::size_t i) { take(std::move(items[i])); });
      return;
    }
    this->read_each(*batch, [&](const In& x) { take(In(x)); });
  }
  void on_watermark(EventTime time) override {
    if (time <= watermark_) return;  // after a restore, it comes up again from below
    watermark_ = time;
    while (!timers_.empty() && timers_.top().first <= watermark_) {
      const auto [when, key] = timers_.top();
      timers_.pop();
      prune(when, key);
    }
    state_.record_peak(this->metrics_);
  }

 private:
  void take(In&& item) {
    const Key key = std::invoke(key_, std::as_const(item));
    PerKey& held = state_.map()[key];
    if (item.index() == 0) {
      A& a = std::get<0>(item);
      for (const Held<B>& b : held.right) {
        if (b.expires > watermark_) match(a, b.item);  // not yet pruned, but expired
      }
      const auto expires = static_cast<EventTime>(std::invoke(expire_a_, std::as_const(a)));
      if (expires > watermark_) keep(key, held, held.left, std::move(a), expires);
    } else {
      B& b = std::get<1>(item);
      for (const Held<A>& a : held.left) {
        if (a.expires > watermark_) match(a.item, b);
      }
      const auto expires = static_cast<EventTime>(std::invoke(expire_b_, std::as_const(b)));
      if (expires > watermark_) keep(key, held, held.right, std::move(b), expires);
    }
    if (held.left.empty() && held.right.empty()) state_.map().erase(key);
    state_.record_peak(this->metrics_);
  }

  void match(const A& a, const B& b) {
    if constexpr (std::is_same_v<std::remove_cvref_t<std::invoke_result_t<F&, const A&, const B&>>,
                                 std::optional<Out>>) {
      if (std::optional<Out> out = std::invoke(f_, a, b)) this->emit(std::move(*out));
    } else {
      this->emit(std::invoke(f_, a, b));
    }
  }

  template <class T>
  void keep(const Key& key, PerKey& held, std::vector<Held<T>>& side, T&& item, EventTime expires) {
    side.push_back(Held<T>{std::move(item), expires});
    ++held_;
    state_.set_entries(held_);
    state_.add_bytes(static_cast<std::ptrdiff_t>(sizeof(Held<T>)));
    schedule(key, held, expires);
  }
  // One timer per key, at the earliest expiry of its items, rather than one per item: a hot
  // key (q4's hot auction holds a few hundred bids at a time) then costs one heap entry and one
  // pass per watermark, not a heap entry per item and a pass per item due (half of the join's
  // time in q4).
  void schedule(const Key& key, PerKey& held, EventTime expires) {
    if (expires >= held.timer) return;  // the key's timer comes first; kMaxEventTime: never
    held.timer = expires;
    timers_.emplace(expires, key);
  }

  // The key's timer at `when` is due: drops its items that expired and sets its next timer.
  // A timer whose `when` is not the key's (an earlier one replaced it, or the key went and came
  // back) is stale and does nothing.
  void prune(EventTime when, const Key& key) {
    auto it = state_.map().find(key);
    if (it == state_.map().end() || it->second.timer != when) return;
    PerKey& held = it->second;
    EventTime next = kMaxEventTime;
    const auto drop = [this, &next](auto& side) {
      const std::size_t before = side.size();
      std::erase_if(side, [this, &next](const auto& h) {
        if (h.expires <= watermark_) return true;
        next = std::min(next, h.expires);
        return false;
      });
      const std::size_t dropped = before - side.size();
      held_ -= dropped;
      state_.add_bytes(-static_cast<std::ptrdiff_t>(dropped * sizeof(side.front())));
    };
    if (!held.left.empty()) drop(held.left);
    if (!held.right.empty()) drop(held.right);
    state_.set_entries(held_);
    if (held.left.empty() && held.right.empty()) {
      state_.map().erase(it);
      return;
    }
    held.timer = kMaxEventTime;
    schedule(key, held, next);
  }

  KeyFn key_;
  F f_;
  ExpireA expire_a_;
  ExpireB expire_b_;
  EventTime watermark_ = kMinEventTime;
  KeyedState<Key, PerKey> state_;
  std::size_t held_ = 0;
  // (expiry, key) of each key's timer, earliest on top, and stale ones (see prune): a heap,
  // not a tree (no allocation per entry).
  using Timer = std::pair<EventTime, Key>;
  struct Later {
    bool operator()(const Timer& a, const Timer& b) const noexcept { return a.first > b.first; }
  };
  std::priority_queue<Timer, std::vector<Timer>, Later> timers_;
};

template <class Self, class T>
class JoinMethods : public StreamMixin<Self, JoinMethods<Self, T>> {
 public:
  // Keyed joins of this stream (A) with `other` (B) on key_a(a) == key_b(b) (the same key
  // type), each pair passed to f(a, b) -> Out, or -> std::optional<Out> where a pair may not
  // match. Both sides cross a hash exchange as std::variant<A, B>.
  // join: every item is held for ever (Flink's regular join; state grows with the input).
  template <class B, class KA, class KB, class F, class OC>
  requires KeyFunction<KA, T> && KeyFunction<KB, B> && std::invocable<F&, const T&, const B&> &&
      Exchangeable<T> && Exchangeable<B>
  auto join(std::string name, const Stream<B, OC>& other, KA key_a, KB key_b, F f,
            NodeOptions options = {}) const {
    constexpr auto never = [](const auto&) { return kMaxEventTime; };
    return join_until(std::move(name), other, std::move(key_a), std::move(key_b), std::move(f),
                      never, never, options);
  }
  // join_until: an item of A is held until the watermark reaches expire_a(a), one of B until
  // it reaches expire_b(b); afterwards it can match nothing new.
  template <class B, class KA, class KB, class F, class EA, class EB, class OC>
  requires KeyFunction<KA, T> && KeyFunction<KB, B> && std::invocable<F&, const T&, const B&> &&
      TimeFunction<EA, T> && TimeFunction<EB, B> && Exchangeable<T> && Exchangeable<B>
  auto join_until(std::string name, const Stream<B, OC>& other, KA key_a, KB key_b, F f,
                  EA expire_a, EB expire_b, NodeOptions options = {}) const {
    static_assert(std::is_same_v<key_result_t<KA, T>, key_result_t<KB, B>>,
                  "join: key_a and key_b must return the same key type");
    auto key = detail::on_either<std::variant<T, B>>(std::move(key_a), std::move(key_b));
    return tagged_merge(name, other)
        .partitioned_by(key)
        .template add_transform<join_output_t<T, B, F>, JoinKernel<T, B, decltype(key), F, EA, EB>>(
            std::move(name), "join", options, key, std::move(f), std::move(expire_a),
            std::move(expire_b));
  }
  // interval_join: pairs with time_b(b) in [time_a(a) + lower, time_a(a) + upper] (Flink's
  // interval join); each item is held only while a partner may still come.
  template <class B, class KA, class KB, class TA, class TB, class F, class OC>
  requires KeyFunction<KA, T> && KeyFunction<KB, B> && TimeFunction<TA, T> && TimeFunction<TB, B> &&
      std::invocable<F&, const T&, const B&> && Exchangeable<T> && Exchangeable<B>
  auto interval_join(std::string name, const Stream<B, OC>& other, KA key_a, KB key_b, TA time_a,
                     TB time_b, EventTime lower, EventTime upper, F f,
                     NodeOptions options = {}) const {
    using Out = std::remove_cvref_t<std::invoke_result_t<F&, const T&, const B&>>;
    auto in_interval = [time_a, time_b, lower, upper, f = std::move(f)](
                           const T& a, const B& b) -> std::optional<Out> {
      const auto ta = static_cast<EventTime>(std::invoke(time_a, a));
      const auto tb = static_cast<EventTime>(std::invoke(time_b, b));
      if (tb < ta + lower || tb > ta + upper) return std::nullopt;
      return std::invoke(f, a, b);
    };
    return join_until(
        std::move(name), other, std::move(key_a), std::move(key_b), std::move(in_interval),
        [time_a, upper](const T& a) {
          return static_cast<EventTime>(std::invoke(time_a, a)) + upper;
        },
        [time_b, lower](const B& b) {
          return static_cast<EventTime>(std::invoke(time_b, b)) - lower;
        },
        options);
  }
  // window_join: pairs whose items fall into the same window (sw::tumbling, sw::sliding, ...)
  // of their key, emitted when the window fires.
  template <class B, class KA, class KB, class TA, class TB, class F, class OC>
  requires KeyFunction<KA, T> && KeyFunction<KB, B> && TimeFunction<TA, T> && TimeFunction<TB, B> &&
      std::invocable<F&, const T&, const B&> && Exchangeable<T> && Exchangeable<B>
  auto window_join(std::string name, const Stream<B, OC>& other, KA key_a, KB key_b, TA time_a,
                   TB time_b, WindowAssigner assigner, F f, WindowOptions options = {}) const {
    using Both = std::variant<T, B>;
    using Key = key_result_t<KA, T>;
    using Out = std::remove_cvref_t<std::invoke_result_t<F&, const T&, const B&>>;
    auto key = detail::on_either<Both>(std::move(key_a), std::move(key_b));
    auto time_of = detail::on_either<Both>(std::move(time_a), std::move(time_b));
    auto pairs = [f = std::move(f)](const Key&, EventTime, EventTime, std::span<const Both> items) {
      std::vector<Out> out;
      for (const Both& a : items) {
        if (a.index() != 0) continue;
        for (const Both& b : items) {
          if (b.index() == 1) out.push_back(std::invoke(f, std::get<0>(a), std::get<1>(b)));
        }
      }
      return out;
    };
    auto windows = detail::add_window<Both>(
        tagged_merge(name, other).partitioned_by(key), name + "/window", key, std::move(assigner),
        std::move(time_of), ProcessWindow<Both, decltype(pairs)>{std::move(pairs)}, options);
    using Result = typename decltype(windows)::value_type;
    auto values = [](Result w) { return std::move(w.value); };
    return windows.template add_transform<Out, FlatMapKernel<Result, Out, decltype(values)>>(
        std::move(name), "flat_map", options.node,
        FlatMapStep<Result, Out, decltype(values)>{values});
  }

 private:
  // This stream and `other` as one stream of std::variant<T, B>: the tagging maps fuse with
  // their producers (they take their parallelism), then a merge.
  template <class B, class OC>
  Stream<std::variant<T, B>> tagged_merge(const std::string& name,
                                          const Stream<B, OC>& other) const {
    using Both = std::variant<T, B>;
    auto tag_a = [](T a) { return Both(std::in_place_index<0>, std::move(a)); };
    auto tag_b = [](B b) { return Both(std::in_place_index<1>, std::move(b)); };
    const Stream<T>& self = this->self();
    auto left = self.template add_transform<Both, MapKernel<T, Both, decltype(tag_a)>>(
        name + "/left", "map", {}, MapStep<T, Both, decltype(tag_a)>{tag_a});
    self.graph().node(left.node()).inherit_parallelism();
    auto right = other.template add_transform<Both, MapKernel<B, Both, decltype(tag_b)>>(
        name + "/right", "map", {}, MapStep<B, Both, decltype(tag_b)>{tag_b});
    self.graph().node(right.node()).inherit_parallelism();
    const NodeId merged =
        left.attach(std::make_unique<MergeNode<Both>>(name + "/merge", NodeOptions{}));
    right.connect_to(merged);
    return Stream<Both>(self.graph(), merged, kMainPort);
  }
};

}  // namespace sw
