// The shapes shared by many operators' callables and specs (items, keys, event times,
// sources, sinks), checked where the graph is built. A wrong callable fails with the name of
// the concept it misses (e.g. "KeyFunction<F, Bid>"), not with an error deep inside the
// runtime. An operator's own concept lives in its header (MapFunction in operators/map.hpp).
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <ranges>
#include <type_traits>

#include "streamweave/engine/input.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/serde/binary.hpp"

namespace sw {

// Items cross threads and fan-out copies them when a consumer must own one.
template <class T>
concept Item = std::is_object_v<T> && std::copy_constructible<T> && std::move_constructible<T> &&
    !std::is_const_v<T>;

// Items that may cross an exchange (key_by, rebalance, broadcast, gather). In distributed
// mode they travel between ranks as bytes, so they need a binary codec (serde/binary.hpp):
// an aggregate of codable fields, a standard type, or sw_encode/sw_decode found by ADL. As in
// Timely, the requirement holds in both modes, so a graph that compiles runs in either.
template <class T>
concept Exchangeable = Item<T> && BinaryCodable<T>;

// f(const item&) -> an integer event time (with_watermarks, windows, joins).
template <class F, class T>
concept TimeFunction = Item<T> && std::invocable<F&, const T&> &&
    std::integral<std::remove_cvref_t<std::invoke_result_t<F&, const T&>>>;

// f(const item&) -> K, where K can be hashed and compared (a key_by key).
template <class F, class T>
concept KeyFunction = Item<T> && std::invocable<F&, const T&> &&
    std::regular<std::remove_cvref_t<std::invoke_result_t<F&, const T&>>> &&
    requires(const std::remove_cvref_t<std::invoke_result_t<F&, const T&>>& key) {
  {
    std::hash<std::remove_cvref_t<std::invoke_result_t<F&, const T&>>>{}(key)
    } -> std::convertible_to<std::size_t>;
};

template <class F, class T>
requires KeyFunction<F, T>
using key_result_t = std::remove_cvref_t<std::invoke_result_t<F&, const T&>>;

// f(Acc, const item&) -> Acc, or f(Acc&, const item&) updating in place.
template <class F, class Acc, class T>
concept AggregateFunction = Item<T> && std::copy_constructible<Acc> &&
    ((std::invocable<F&, Acc&, const T&> &&
      std::is_void_v<std::invoke_result_t<F&, Acc&, const T&>>) ||
     (std::invocable<F&, Acc, const T&> &&
      std::convertible_to<std::invoke_result_t<F&, Acc, const T&>, Acc>));

// f(index) -> T: the generator behind sw::generate.
template <class F, class T>
concept GeneratorFunction = Item<T> && std::invocable<F&, std::uint64_t> &&
    std::convertible_to<std::invoke_result_t<F&, std::uint64_t>, T>;

// A class-based producer: next() returns std::optional<T> until exhausted (std::nullopt).
// split(i, n) gives the part instance i of n produces; without it parallelism must be 1.
template <class P>
concept Producer = std::copy_constructible<P> && requires(P& p) {
  {p.next()};
  requires Item<typename std::remove_cvref_t<decltype(p.next())>::value_type>;
  {static_cast<bool>(p.next())};
};

template <class P>
concept SplittableProducer = Producer<P> && requires(const P& p, unsigned i, unsigned n) {
  { p.split(i, n) } -> std::convertible_to<P>;
};

// A class-based consumer: consume(const T&), and optionally finish() at end of stream.
template <class C, class T>
concept Consumer = Item<T> && std::copy_constructible<C> && requires(C& c, const T& item) {
  c.consume(item);
};

// f(const item&): what for_each calls per item.
template <class F, class T>
concept ItemFunction = Item<T> && std::invocable<F&, const T&>;

// What Graph::source accepts: an object from the operator library (sw::generate, sw::from,
// sw::producer, ...) that names its item type and makes one instance per parallel task.
template <class S>
concept SourceSpec = std::copy_constructible<S> &&
    requires(const S& s, const InstanceContext& ctx) {
  typename S::value_type;
  requires Item<typename S::value_type>;
  { S::op_name } -> std::convertible_to<const char*>;
  { s.instantiate(ctx) } -> std::convertible_to<std::unique_ptr<OperatorInstance>>;
};

// What Stream<T>::sink accepts: an object from the operator library (sw::collect,
// sw::count, sw::for_each, ...) that can consume items of type T.
template <class S, class T>
concept SinkSpec = Item<T> && std::copy_constructible<S> &&
    requires(const S& s, const InstanceContext& ctx) {
  { S::op_name } -> std::convertible_to<const char*>;
  { s.template instantiate<T>(ctx) } -> std::convertible_to<std::unique_ptr<OperatorInstance>>;
};

}  // namespace sw
