// Windows over event time (and over counts): the assigners, the results, the aggregate
// concept and the built-in aggregates. The operator is operators/window.hpp; the API is
// KeyedStream::window and Stream::window_all.
//
//   bids.key_by(&auction_of)
//       .window("counts", sw::sliding(10'000, 2'000), &bid_time, sw::agg::count())
//   -> Windowed<Key, std::uint64_t>{key, start, end, value}, one per key and window, emitted
//      when the watermark passes the window's end (end - 1 <= watermark), and at end of stream.
#pragma once

#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <type_traits>
#include <utility>
#include <variant>

#include "streamweave/engine/concepts.hpp"
#include "streamweave/engine/event_time.hpp"
#include "streamweave/engine/options.hpp"

namespace sw {

// [start, start + size) every `size`, aligned to `offset` (Flink's TUMBLE).
struct TumblingWindows {
  EventTime size = 0;
  EventTime offset = 0;
};
// [start, start + size) every `slide` (Flink's HOP); an item is in size / slide windows.
struct SlidingWindows {
  EventTime size = 0;
  EventTime slide = 0;
};
// Per key, items closer than `gap` share a window [first, last + gap) (Flink's SESSION).
struct SessionWindows {
  EventTime gap = 0;
};
// Per key, every `size` items form a window; start and end are item ordinals [k*size,
// (k+1)*size). Not driven by time: it fires on its last item (and at end of stream).
struct CountWindows {
  std::uint64_t size = 0;
};

using WindowAssigner = std::variant<TumblingWindows, SlidingWindows, SessionWindows, CountWindows>;

[[nodiscard]] constexpr TumblingWindows tumbling(EventTime size, EventTime offset = 0) noexcept {
  return {size, offset};
}
[[nodiscard]] constexpr SlidingWindows sliding(EventTime size, EventTime slide) noexcept {
  return {size, slide};
}
[[nodiscard]] constexpr SessionWindows session(EventTime gap) noexcept {
  return {gap};
}
[[nodiscard]] constexpr CountWindows count_window(std::uint64_t size) noexcept {
  return {size};
}

// What to do with an item that arrives after every window it belongs to has fired and been
// dropped (end - 1 + allowed_lateness <= watermark).
enum class LateData : unsigned char {
  drop,         // counted in the report (NodeReport::late_dropped)
  side_output,  // passed on, unchanged, on the window's late_items() stream (and counted)
};

struct WindowOptions {
  // A fired window keeps its state this much longer; an item that arrives in that time
  // updates it and the window fires again with the new result.
  EventTime allowed_lateness = 0;
  LateData late = LateData::drop;
  NodeOptions node = {};
};

// One window's result.
template <class K, class R>
struct Windowed {
  K key;
  EventTime start = 0;
  EventTime end = 0;  // exclusive
  R value;
  friend bool operator==(const Windowed&, const Windowed&) = default;
  friend auto operator<=>(const Windowed&, const Windowed&) = default;
};

// The key of a window over the whole stream (window_all).
struct AllKeys {
  friend bool operator==(AllKeys, AllKeys) noexcept = default;
  friend auto operator<=>(AllKeys, AllKeys) noexcept = default;
};

// An incremental window aggregate (Flink's AggregateFunction):
//   using accumulator = A;  A create() const;  void add(A&, const T&) const;
//   void merge(A&, const A&) const;  R result(const A&) const;
// merge is used by session windows, which join when an item bridges two of them.
template <class G, class T>
concept WindowAggregate = Item<T> && std::copy_constructible<G> &&
    requires(const G& g, typename G::accumulator& acc, const typename G::accumulator& other,
             const T& item) {
  typename G::accumulator;
  { g.create() } -> std::convertible_to<typename G::accumulator>;
  g.add(acc, item);
  g.merge(acc, other);
  g.result(other);
};

template <class G, class T>
using window_result_t = std::remove_cvref_t<decltype(std::declval<const G&>().result(
    std::declval<const typename G::accumulator&>()))>;

namespace agg {

// The number of items.
struct Count {
  using accumulator = std::uint64_t;
  [[nodiscard]] accumulator create() const noexcept { return 0; }
  template <class T>
  void add(accumulator& acc, const T&) const noexcept {
    ++acc;
  }
  void merge(accumulator& acc, const accumulator& other) const noexcept { acc += other; }
  [[nodiscard]] accumulator result(const accumulator& acc) const noexcept { return acc; }
};
[[nodiscard]] inline Count count() noexcept {
  return {};
}

namespace detail {
template <class V>
using widened_t =
    std::conditional_t<std::is_floating_point_v<V>, double,
                       std::conditional_t<std::is_signed_v<V>, std::int64_t, std::uint64_t>>;
}  // namespace detail

// sum(f), min(f), max(f), avg(f) over the values f(item); V is f's result type.
template <class V, class F>
struct SumOf {
  F f;
  using accumulator = detail::widened_t<V>;
  [[nodiscard]] accumulator create() const noexcept { return 0; }
  template <class T>
  void add(accumulator& acc, const T& item) const {
    acc += static_cast<accumulator>(std::invoke(f, item));
  }
  void merge(accumulator& acc, const accumulator& other) const noexcept { acc += other; }
  [[nodiscard]] accumulator result(const accumulator& acc) const noexcept { return acc; }
};

template <class V, class F, class Better>
struct Extreme {
  F f;
  using accumulator = std::pair<bool, V>;  // (seen any, best so far)
  [[nodiscard]] accumulator create() const { return {false, V{}}; }
  template <class T>
  void add(accumulator& acc, const T& item) const {
    V v = std::invoke(f, item);
    if (!acc.first || Better{}(v, acc.second)) acc = {true, std::move(v)};
  }
  void merge(accumulator& acc, const accumulator& other) const {
    if (other.first && (!acc.first || Better{}(other.second, acc.second))) acc = other;
  }
  [[nodiscard]] V result(const accumulator& acc) const { return acc.second; }
};

template <class V, class F>
struct AvgOf {
  F f;
  using accumulator = std::pair<double, std::uint64_t>;  // (sum, count)
  [[nodiscard]] accumulator create() const noexcept { return {0.0, 0}; }
  template <class T>
  void add(accumulator& acc, const T& item) const {
    acc.first += static_cast<double>(std::invoke(f, item));
    ++acc.second;
  }
  void merge(accumulator& acc, const accumulator& other) const noexcept {
    acc.first += other.first;
    acc.second += other.second;
  }
  [[nodiscard]] double result(const accumulator& acc) const noexcept {
    return acc.second == 0 ? 0.0 : acc.first / static_cast<double>(acc.second);
  }
};

// The value type of f; f must take the stream's item (checked where the window is built).
template <class T, class F>
using value_of_t = std::remove_cvref_t<std::invoke_result_t<const F&, const T&>>;

// agg::sum<T>(f) etc. name the item type T, so f may be any callable (a lambda, a member
// pointer): sw::agg::max<Bid>(&Bid::price).
template <class T, class F>
[[nodiscard]] SumOf<value_of_t<T, F>, F> sum(F f) {
  return {std::move(f)};
}
template <class T, class F>
[[nodiscard]] Extreme<value_of_t<T, F>, F, std::less<>> min(F f) {
  return {std::move(f)};
}
template <class T, class F>
[[nodiscard]] Extreme<value_of_t<T, F>, F, std::greater<>> max(F f) {
  return {std::move(f)};
}
template <class T, class F>
[[nodiscard]] AvgOf<value_of_t<T, F>, F> avg(F f) {
  return {std::move(f)};
}

}  // namespace agg

// A process-window function sees the whole window at once: f(key, start, end, items) -> R,
// items a std::span<const T> in arrival order. Wrap it with sw::process_window(f).
template <class T, class F>
struct ProcessWindow {
  F f;
};
template <class T, class F>
[[nodiscard]] ProcessWindow<T, F> process_window(F f) {
  return {std::move(f)};
}

template <class G, class T>
struct is_process_window : std::false_type {};
template <class T, class F>
struct is_process_window<ProcessWindow<T, F>, T> : std::true_type {};

// What a window may compute: an incremental WindowAggregate, or a process-window function
// f(const Key&, EventTime start, EventTime end, std::span<const T>) wrapped by process_window.
template <class G, class T, class Key>
concept WindowFunction = WindowAggregate<G, T> ||
    (is_process_window<G, T>::value&& std::invocable<const decltype(G::f)&, const Key&, EventTime,
                                                     EventTime, std::span<const T>>);

}  // namespace sw

template <>
struct std::hash<sw::AllKeys> {
  std::size_t operator()(sw::AllKeys) const noexcept { return 0; }
};
