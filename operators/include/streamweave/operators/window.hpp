// window (KeyedStream::window, Stream::window_all): windows over event time or counts, per key.
//   keyed.window(name, sw::tumbling(60'000), time_of, sw::agg::count(), options)
//   stream.window_all(name, sw::sliding(10'000, 1'000), time_of, sw::agg::sum<Bid>(price))
// Items are assigned to windows by the assigner and time_of(item); each window's aggregate is
// kept incrementally (or, for a process-window function, its items). A time window fires when
// the watermark reaches its end - 1, and all windows still open fire at end of stream; results
// come in order of window end, then key (first seen first), per instance. An item whose
// windows are all past end - 1 + allowed_lateness is late: dropped and counted, or passed on
// the late_items() stream. Within the lateness, it updates the fired window, which fires again.
// Options: WindowOptions.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "streamweave/engine/errors.hpp"
#include "streamweave/engine/event_time.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/keyed_state.hpp"
#include "streamweave/engine/state.hpp"
#include "streamweave/engine/stream.hpp"
#include "streamweave/engine/window.hpp"

namespace sw {

namespace detail {

// A process-window function as an aggregate whose accumulator is the window's items.
template <class T, class F>
struct ProcessAggregate {
  F f;
  using accumulator = std::vector<T>;
  [[nodiscard]] accumulator create() const { return {}; }
  void add(accumulator& acc, const T& item) const { acc.push_back(item); }
  void merge(accumulator& acc, const accumulator& other) const {
    acc.insert(acc.end(), other.begin(), other.end());
  }
  template <class K>
  auto result(const K& key, EventTime start, EventTime end, const accumulator& acc) const {
    return std::invoke(f, key, start, end, std::span<const T>(acc));
  }
};

template <class G, class T>
struct as_aggregate {
  using type = G;
  static const G& wrap(const G& g) { return g; }
};
template <class T, class F>
struct as_aggregate<ProcessWindow<T, F>, T> {
  using type = ProcessAggregate<T, F>;
  static type wrap(const ProcessWindow<T, F>& p) { return {p.f}; }
};

template <class G, class K>
concept KeyedResult = requires(const G& g, const K& key, const typename G::accumulator& acc) {
  g.result(key, EventTime{}, EventTime{}, acc);
};

template <class G, class K>
struct aggregate_result {
  using type = std::remove_cvref_t<decltype(std::declval<const G&>().result(
      std::declval<const typename G::accumulator&>()))>;
};
template <class G, class K>
requires KeyedResult<G, K>
struct aggregate_result<G, K> {
  using type = std::remove_cvref_t<decltype(std::declval<const G&>().result(
      std::declval<const K&>(), EventTime{}, EventTime{},
      std::declval<const typename G::accumulator&>()))>;
};

// Floor division toward negative infinity (window starts before time 0 too).
constexpr EventTime floor_div(EventTime a, EventTime b) noexcept {
  const EventTime q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace detail

template <class T, class KeyFn, class TimeFn, class G>
struct WindowOutput {
  using type = Windowed<key_result_t<KeyFn, T>,
                        typename detail::aggregate_result<typename detail::as_aggregate<G, T>::type,
                                                          key_result_t<KeyFn, T>>::type>;
};
template <class T, class KeyFn, class TimeFn, class G>
using window_output_t = typename WindowOutput<T, KeyFn, TimeFn, G>::type;

template <class T, class KeyFn, class TimeFn, class G>
class WindowKernel final : public TransformBase<T, window_output_t<T, KeyFn, TimeFn, G>> {
  using Key = key_result_t<KeyFn, T>;
  using Agg = typename detail::as_aggregate<G, T>::type;
  using Acc = typename Agg::accumulator;
  using Out = window_output_t<T, KeyFn, TimeFn, G>;
  using Base = TransformBase<T, Out>;
  // A process-window function: its accumulator is the window's items.
  static constexpr bool kKeepsItems = !std::is_same_v<G, Agg>;

  struct Window {
    EventTime start;
    EventTime end;  // exclusive; for count windows the next item ordinal
    Acc acc;
    bool fired = false;
  };
  struct PerKey {
    std::vector<Window> windows;  // few per key: sorted by start
    std::uint64_t count = 0;      // count windows: items seen
  };
  using PerKeyEntry = typename KeyedState<Key, PerKey>::Map::value_type;
  struct SavedTimer {
    EventTime when;
    std::uint64_t order;
    const Key* key;
  };
  static constexpr bool kSaveable = BinaryCodable<Key> && BinaryCodable<Acc> &&
                                    std::default_initializable<Key> &&
                                    std::default_initializable<Acc>;

 public:
  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return kSaveable ? Checkpointing::saves_state : Checkpointing::cannot_save;
  }
  // The watermark, each key's windows, and the timers in the order they fire (so that a
  // restored instance emits the windows of one end in the same order of keys).
  void snapshot(StateWriter& state) override {
    if constexpr (kSaveable) {
      state.value(watermark_);
      const auto key_hash = [](const auto& entry) { return hash_key(*entry.key); };
      std::vector<SavedTimer> timers;
      for (const auto& [when, keys] : timers_) {
        for (const Key& key : keys) timers.push_back({when, timers.size(), &key});
      }
      state.keyed_map(state_.map());
      state.keyed(timers, key_hash, [](BinaryWriter& w, const SavedTimer& t) {
        w.write(*t.key);
        w.write(t.when);
        w.write(t.order);
      });
    }
  }
  void restore(StateReader& state) override {
    if constexpr (kSaveable) {
      watermark_ = restored_event_time(state);
      state.keyed_map(state_.map(), *this->ctx_.node, [this](const auto& entry) {
        for (const Window& w : entry.second.windows) window_came(w);
      });
      std::vector<std::tuple<EventTime, std::uint64_t, Key>> timers;
      state.keyed([&](BinaryReader& r) {
        auto& [when, order, key] = timers.emplace_back();
        r.read(key);
        r.read(when);
        r.read(order);
      });
      std::sort(timers.begin(), timers.end(), [](const auto& a, const auto& b) {
        return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
      });
      for (auto& [when, order, key] : timers) timers_[when].push_back(std::move(key));
      state_.record_peak(this->metrics_);
    }
  }
  WindowKernel(const InstanceContext& ctx, KeyFn key, TimeFn time_of, G aggregate,
               WindowAssigner assigner, WindowOptions options)
      : Base(ctx),
        key_(std::move(key)),
        time_of_(std::move(time_of)),
        agg_(detail::as_aggregate<G, T>::wrap(aggregate)),
        assigner_(assigner),
        options_(options) {
    check_assigner(ctx);
  }

  // As the end of a compiled chain (engine/chain.hpp): one item.
  [[gnu::always_inline]] void fused_item(const T& item) { add(item); }

  void bind_output(std::size_t port, InputBase& target) override {
    if (port == kLatePort) {
      late_ = detail::checked_input<T>(this->ctx_, port, target);
      late_stage_.bind(*late_, make_pool<T>(this->ctx_), this->ctx_.batch_size);
      return;
    }
    Base::bind_output(port, target);
  }
  void finish() override {
    Base::finish();
    if (late_ == nullptr) return;
    late_stage_.flush();
    late_->finish();
  }
  void watermark(EventTime time) override {
    Base::watermark(time);
    if (late_ == nullptr) return;
    late_stage_.flush();
    late_->watermark(time);
  }

 protected:
  void on_batch(BatchPtr<T>&& batch) override {
    this->read_each(*batch, [&](const T& x) { add(x); });
  }
  void after_batch() override { late_stage_.flush(); }
  void on_watermark(EventTime time) override {
    // After a restore, the watermark comes up again from below the one restored.
    if (time <= watermark_) return;
    watermark_ = time;
    fire_due();
  }
  void on_finish() override {
    watermark_ = kMaxEventTime;
    if (std::holds_alternative<CountWindows>(assigner_)) {
      for (auto& [key, per_key] : state_.map()) {
        for (Window& w : per_key.windows) {
          emit_window(key, w);
          window_went(w);
        }
      }
      state_.map().clear();
      return;
    }
    fire_due();
  }

 private:
  void check_assigner(const InstanceContext& ctx) const {
    const auto bad = [&](const char* what) {
      throw GraphError("node '" + *ctx.node + "': " + what);
    };
    if (const auto* t = std::get_if<TumblingWindows>(&assigner_); t && t->size <= 0) {
      bad("a tumbling window's size must be positive");
    }
    if (const auto* s = std::get_if<SlidingWindows>(&assigner_)) {
      if (s->size <= 0 || s->slide <= 0) bad("a sliding window's size and slide must be positive");
    }
    if (const auto* s = std::get_if<SessionWindows>(&assigner_); s && s->gap <= 0) {
      bad("a session window's gap must be positive");
    }
    if (const auto* c = std::get_if<CountWindows>(&assigner_); c && c->size == 0) {
      bad("a count window's size must be positive");
    }
    if (options_.allowed_lateness < 0) bad("allowed_lateness must not be negative");
  }

  // The last watermark at which window [.., end) may still change.
  [[nodiscard]] EventTime cleanup_time(EventTime end) const noexcept {
    const EventTime last = end - 1;
    return last > kMaxEventTime - options_.allowed_lateness ? kMaxEventTime
                                                            : last + options_.allowed_lateness;
  }
  [[nodiscard]] bool gone(EventTime end) const noexcept { return cleanup_time(end) <= watermark_; }

  void add(const T& item) {
    if (std::holds_alternative<CountWindows>(assigner_)) {
      add_counted(item);
      return;
    }
    const auto time = static_cast<EventTime>(std::invoke(time_of_, item));
    bool taken = false;
    if (const auto* s = std::get_if<SessionWindows>(&assigner_)) {
      taken = add_session(item, time, s->gap);
    } else {
      EventTime size = 0;
      EventTime slide = 0;
      EventTime offset = 0;
      if (const auto* t = std::get_if<TumblingWindows>(&assigner_)) {
        size = slide = t->size;
        offset = t->offset;
      } else {
        const auto& s = std::get<SlidingWindows>(assigner_);
        size = s.size;
        slide = s.slide;
      }
      // The last window that starts at or before `time`, then back by `slide`; a window
      // whose bounds an int64 cannot hold (times near its ends) is an error of the item.
      EventTime shifted = 0;
      EventTime last_start = 0;
      if (__builtin_sub_overflow(time, offset, &shifted) ||
          __builtin_mul_overflow(detail::floor_div(shifted, slide), slide, &last_start) ||
          __builtin_add_overflow(last_start, offset, &last_start)) {
        throw_unrepresentable(time);
      }
      EventTime earliest = kMinEventTime;  // windows start after time - size
      if (__builtin_sub_overflow(time, size, &earliest)) earliest = kMinEventTime;
      PerKeyEntry* entry = nullptr;  // looked up once, for the item's first open window
      std::size_t at = 0;            // where the window after this one is, in the key's list
      for (EventTime start = last_start; start > earliest;) {
        EventTime end = 0;
        if (__builtin_add_overflow(start, size, &end)) throw_unrepresentable(time);
        if (!gone(end)) {
          if (entry == nullptr) {
            entry = &*state_.map().try_emplace(std::invoke(key_, item)).first;
            at = entry->second.windows.size();
          }
          at = add_to(*entry, item, start, end, at);
          taken = true;
        }
        if (__builtin_sub_overflow(start, slide, &start)) break;
      }
    }
    if (!taken) late(item);
    state_.record_peak(this->metrics_);
  }

  [[noreturn]] static void throw_unrepresentable(EventTime time) {
    throw std::out_of_range("event time " + std::to_string(time) +
                            " has a window that starts or ends outside the event times an "
                            "int64 holds; is the item's timestamp wrong?");
  }

  // Adds the item to the key's window [start, end), made if need be, and returns its index.
  // `next`: the index of the key's first window that starts after `start` when known (the
  // window an item went in before, walking back by slide), else the list's size. A sliding
  // window's item goes into the one just before it, found without a search.
  std::size_t add_to(PerKeyEntry& entry, const T& item, EventTime start, EventTime end,
                     std::size_t next) {
    std::vector<Window>& windows = entry.second.windows;
    auto at = windows.begin() + static_cast<std::ptrdiff_t>(next);
    if (at == windows.begin() || (at - 1)->start != start) {
      at = std::lower_bound(windows.begin(), at, start,
                            [](const Window& w, EventTime s) { return w.start < s; });
    } else {
      --at;
    }
    if (at == windows.end() || at->start != start) {
      at = windows.insert(at, Window{start, end, agg_.create()});
      window_came(*at);
      timers_[end - 1].push_back(entry.first);
    }
    agg_.add(at->acc, item);
    account_item();
    // A window that fired already (within the allowed lateness) fires again, updated.
    if (at->fired) emit_window(entry.first, *at);
    return static_cast<std::size_t>(at - windows.begin());
  }

  bool add_session(const T& item, EventTime time, EventTime gap) {
    EventTime start = time;
    EventTime end = time > kMaxEventTime - gap ? kMaxEventTime : time + gap;
    if (gone(end)) return false;
    auto [it, inserted] = state_.map().try_emplace(std::invoke(key_, item));
    std::vector<Window>& windows = it->second.windows;
    Window merged{start, end, agg_.create()};
    agg_.add(merged.acc, item);
    // Join every session this one overlaps (they are sorted and disjoint).
    for (auto w = windows.begin(); w != windows.end();) {
      if (w->start < merged.end && merged.start < w->end) {
        merged.start = std::min(merged.start, w->start);
        merged.end = std::max(merged.end, w->end);
        merged.fired = merged.fired || w->fired;
        agg_.merge(merged.acc, w->acc);
        window_went(*w);
        w = windows.erase(w);
      } else {
        ++w;
      }
    }
    auto at = std::lower_bound(windows.begin(), windows.end(), merged.start,
                               [](const Window& w, EventTime s) { return w.start < s; });
    at = windows.insert(at, std::move(merged));
    window_came(*at);                           // with the items of the sessions it joined
    timers_[at->end - 1].push_back(it->first);  // an older timer of a merged session is stale
    if (at->fired) emit_window(it->first, *at);
    return true;
  }

  void add_counted(const T& item) {
    const std::uint64_t size = std::get<CountWindows>(assigner_).size;
    auto [it, inserted] = state_.map().try_emplace(std::invoke(key_, item));
    PerKey& per_key = it->second;
    if (per_key.windows.empty()) {
      const auto start = static_cast<EventTime>(per_key.count);
      window_came(per_key.windows.emplace_back(
          Window{start, start + static_cast<EventTime>(size), agg_.create()}));
    }
    agg_.add(per_key.windows.front().acc, item);
    account_item();
    ++per_key.count;
    state_.record_peak(this->metrics_);
    if (per_key.count % size == 0) {
      emit_window(it->first, per_key.windows.front());
      window_went(per_key.windows.front());
      per_key.windows.clear();
    }
  }

  // The state's entries and bytes follow the windows held: a window record came or went.
  void window_came(const Window& w) {
    ++windows_;
    state_.set_entries(windows_);
    state_.add_bytes(bytes_of(w));
  }
  void window_went(const Window& w) {
    --windows_;
    state_.set_entries(windows_);
    state_.add_bytes(-bytes_of(w));
  }
  // A window's record and, for a process-window function, the items it keeps.
  static std::ptrdiff_t bytes_of(const Window& w) {
    std::size_t bytes = sizeof(Window);
    if constexpr (kKeepsItems) bytes += w.acc.size() * sizeof(T);
    return static_cast<std::ptrdiff_t>(bytes);
  }
  // An item went into a window that was already held.
  void account_item() {
    if constexpr (kKeepsItems) state_.add_bytes(static_cast<std::ptrdiff_t>(sizeof(T)));
  }

  void late(const T& item) {
    ++this->metrics_.late_dropped;
    if (options_.late == LateData::side_output && late_ != nullptr) late_stage_.add(item);
  }

  // Fires, in order of end, every window whose end - 1 <= watermark; drops those past the
  // allowed lateness.
  void fire_due() {
    while (!timers_.empty() && timers_.begin()->first <= watermark_) {
      auto node = timers_.extract(timers_.begin());
      for (const Key& key : node.mapped()) {
        auto it = state_.map().find(key);
        if (it == state_.map().end()) continue;  // already fired and dropped
        std::vector<Window>& windows = it->second.windows;
        for (auto w = windows.begin(); w != windows.end();) {
          if (w->end - 1 <= watermark_ && !w->fired) {
            emit_window(key, *w);
            w->fired = true;
            if (options_.allowed_lateness > 0 && !gone(w->end)) {
              timers_[cleanup_time(w->end)].push_back(key);  // to drop it later
            }
          }
          if (w->fired && gone(w->end)) {
            window_went(*w);
            w = windows.erase(w);
          } else {
            ++w;
          }
        }
        if (windows.empty()) state_.map().erase(it);
      }
    }
  }

  void emit_window(const Key& key, const Window& w) {
    if constexpr (detail::KeyedResult<Agg, Key>) {
      this->emit(Out{key, w.start, w.end, agg_.result(key, w.start, w.end, w.acc)});
    } else {
      this->emit(Out{key, w.start, w.end, agg_.result(w.acc)});
    }
  }

  KeyFn key_;
  TimeFn time_of_;
  Agg agg_;
  WindowAssigner assigner_;
  WindowOptions options_;
  Input<T>* late_ = nullptr;
  ItemStage<T> late_stage_;
  EventTime watermark_ = kMinEventTime;
  KeyedState<Key, PerKey> state_;
  std::size_t windows_ = 0;
  std::map<EventTime, std::vector<Key>> timers_;  // when (end - 1, or cleanup) -> keys
};

namespace detail {
// A window node after `stream`, keyed by `key`, with its late-items port: its stream.
// Its kernel ends the stream's compiled chain, if it has one: each item goes to the window
// assigner as it leaves the chain's last step.
template <class T, class KeyFn, class TimeFn, class G, class Chain>
auto add_window(const Stream<T, Chain>& stream, std::string name, KeyFn key,
                WindowAssigner assigner, TimeFn time_of, G function, WindowOptions options) {
  using Out = window_output_t<T, KeyFn, TimeFn, G>;
  using K = WindowKernel<T, KeyFn, TimeFn, G>;
  auto make = [key, time_of, function, assigner, options](const InstanceContext& ctx) {
    return std::unique_ptr<OperatorInstance>(
        std::make_unique<K>(ctx, key, time_of, function, assigner, options));
  };
  const NodeId id = stream.attach(std::make_unique<TransformNode<T, Out, decltype(make), T>>(
      std::move(name), "window", options.node, std::move(make)));
  stream.template offer_tail<K>(id, std::move(key), std::move(time_of), std::move(function),
                                assigner, options);
  return WindowStream<T, Out>(stream.graph(), id);
}
}  // namespace detail

template <class Self, class T, class KeyFn>
class WindowMethods : public StreamMixin<Self, WindowMethods<Self, T, KeyFn>> {
  using key_type = key_result_t<KeyFn, T>;

 public:
  // Windows per key: `assigner` is sw::tumbling(size), sw::sliding(size, slide),
  // sw::session(gap) or sw::count_window(n); time_of(item) is the item's event time (ignored
  // by count windows); `function` an aggregate (sw::agg::count(), sw::agg::sum<T>(f), ..., or
  // a class with create/add/merge/result) or sw::process_window<T>(f). Emits
  // Windowed{key, start, end, result}.
  template <class TimeFn, class G>
  requires TimeFunction<TimeFn, T> && WindowFunction<G, T, key_type>
  auto window(std::string name, WindowAssigner assigner, TimeFn time_of, G function,
              WindowOptions options = {}) const {
    return detail::add_window<T>(this->self(), std::move(name), this->self().key(),
                                 std::move(assigner), std::move(time_of), std::move(function),
                                 options);
  }
  // Count windows need no time.
  template <class G>
  requires WindowFunction<G, T, key_type>
  auto window(std::string name, CountWindows assigner, G function,
              WindowOptions options = {}) const {
    return window(
        std::move(name), assigner, [](const T&) { return EventTime{0}; }, std::move(function),
        options);
  }
};

template <class Self, class T>
class WindowAllMethods : public StreamMixin<Self, WindowAllMethods<Self, T>> {
 public:
  // Windows over the whole stream, in one instance (the items are gathered to it): as
  // KeyedStream::window with every item under one key, AllKeys{}.
  template <class TimeFn, class G>
  requires TimeFunction<TimeFn, T> && WindowFunction<G, T, AllKeys> && Exchangeable<T>
  auto window_all(std::string name, WindowAssigner assigner, TimeFn time_of, G function,
                  WindowOptions options = {}) const {
    options.node.parallelism = 1;
    return detail::add_window<T>(
        this->self().partitioned(Partitioning::gather), std::move(name),
        [](const T&) { return AllKeys{}; }, std::move(assigner), std::move(time_of),
        std::move(function), options);
  }
};

}  // namespace sw
