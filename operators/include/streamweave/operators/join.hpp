// join (Stream::join, join_until, interval_join): a keyed join of two streams, A and B,
// carried as one stream of std::variant<A, B> (both inputs tagged and merged, then hashed by
// key, so a key's items of both sides meet in one instance). Each arriving item is matched
// against the other side's items held for its key, then held itself: f(a, b) -> Out, or
// std::optional<Out> to say "no match" (a join condition). An item is held until the
// watermark reaches its expiry (never, for Stream::join); the state size is in the report.
// Outputs come in arrival order. Options: NodeOptions.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <functional>
#include <optional>
#include <queue>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "streamweave/engine/event_time.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/keyed_state.hpp"
#include "streamweave/engine/node_types.hpp"

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
}  // namespace detail

template <class A, class B, class KeyFn, class F, class ExpireA, class ExpireB>
class Kernel<op::join, A, B, KeyFn, F, ExpireA, ExpireB> final
    : public TransformBase<std::variant<A, B>, join_output_t<A, B, F>> {
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
  };

 public:
  Kernel(const InstanceContext& ctx, KeyFn key, F f, ExpireA expire_a, ExpireB expire_b)
      : Base(ctx),
        key_(std::move(key)),
        f_(std::move(f)),
        expire_a_(std::move(expire_a)),
        expire_b_(std::move(expire_b)) {}

  void push(In&& item) override {
    this->guarded(std::move(item), [this](In&& x) { take(std::move(x)); });
  }
  void push_ref(const In& item) override {
    this->guarded(item, [this](const In& x) { take(In(x)); });
  }

 protected:
  void on_watermark(EventTime time) override {
    watermark_ = time;
    while (!timers_.empty() && timers_.top().first <= watermark_) {
      const Key key = timers_.top().second;
      timers_.pop();
      prune(key);
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
      if (expires > watermark_) keep(key, held.left, std::move(a), expires);
    } else {
      B& b = std::get<1>(item);
      for (const Held<A>& a : held.left) {
        if (a.expires > watermark_) match(a.item, b);
      }
      const auto expires = static_cast<EventTime>(std::invoke(expire_b_, std::as_const(b)));
      if (expires > watermark_) keep(key, held.right, std::move(b), expires);
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
  void keep(const Key& key, std::vector<Held<T>>& side, T&& item, EventTime expires) {
    side.push_back(Held<T>{std::move(item), expires});
    ++held_;
    state_.set_entries(held_);
    state_.add_bytes(static_cast<std::ptrdiff_t>(sizeof(Held<T>)));
    if (expires != kMaxEventTime) timers_.emplace(expires, key);
  }

  void prune(const Key& key) {
    auto it = state_.map().find(key);
    if (it == state_.map().end()) return;
    const auto drop = [this](auto& side) {
      const std::size_t before = side.size();
      std::erase_if(side, [this](const auto& h) { return h.expires <= watermark_; });
      const std::size_t dropped = before - side.size();
      held_ -= dropped;
      state_.add_bytes(-static_cast<std::ptrdiff_t>(dropped * sizeof(side.front())));
    };
    if (!it->second.left.empty()) drop(it->second.left);
    if (!it->second.right.empty()) drop(it->second.right);
    if (it->second.left.empty() && it->second.right.empty()) state_.map().erase(it);
    state_.set_entries(held_);
  }

  KeyFn key_;
  F f_;
  ExpireA expire_a_;
  ExpireB expire_b_;
  EventTime watermark_ = kMinEventTime;
  KeyedState<Key, PerKey> state_;
  std::size_t held_ = 0;
  // (expiry, key) of every held item that expires, earliest on top: a heap, not a tree,
  // because there is one per item (no allocation per entry).
  using Timer = std::pair<EventTime, Key>;
  struct Later {
    bool operator()(const Timer& a, const Timer& b) const noexcept { return a.first > b.first; }
  };
  std::priority_queue<Timer, std::vector<Timer>, Later> timers_;
};

}  // namespace sw
