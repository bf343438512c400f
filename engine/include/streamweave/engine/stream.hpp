// Stream<T>: a typed handle on one output of a node, and the fluent API that adds nodes
// after it. Handles are cheap values; using one handle twice is fan-out.
//
// Transform methods take a name (unique in the graph), the user function and optional
// NodeOptions, and return the new node's stream. The settings methods (parallelism,
// batch_size, ...) change the node that produced the stream.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "streamweave/engine/concepts.hpp"
#include "streamweave/engine/event_time.hpp"
#include "streamweave/engine/graph.hpp"
#include "streamweave/engine/key_value.hpp"
#include "streamweave/engine/node_types.hpp"
#include "streamweave/engine/partitioning.hpp"
#include "streamweave/engine/window.hpp"

namespace sw {

template <class In, class Out>
class TransformStream;
template <class In, class Out>
class WindowStream;
template <class T, class KeyFn, class TimeFn, class G>
struct WindowOutput;  // operators/window.hpp
namespace detail {
template <class R>
struct join_output;  // operators/join.hpp
}
template <class A, class B, class F>
using join_output_t = typename detail::join_output<
    std::remove_cvref_t<std::invoke_result_t<F&, const A&, const B&>>>::type;
template <class T, class KeyFn>
class KeyedStream;

namespace detail {
// f_a(a) or f_b(b), whichever side `x` holds: a function of both sides of a join, carried as
// one stream of Both = std::variant<A, B>.
template <class Both, class FA, class FB>
auto on_either(FA fa, FB fb) {
  return [fa = std::move(fa), fb = std::move(fb)](const Both& x) {
    return x.index() == 0 ? std::invoke(fa, std::get<0>(x)) : std::invoke(fb, std::get<1>(x));
  };
}
}  // namespace detail

template <class T>
class Stream {
 public:
  using value_type = T;

  Stream(Graph& graph, NodeId node, std::size_t port) noexcept
      : graph_(&graph), node_(node), port_(port) {}

  // f(item) -> U for every item.
  template <class F>
  requires MapFunction<F, T> TransformStream<T, map_result_t<F, T>> map(std::string name, F f,
                                                                        NodeOptions options = {})
  const {
    using Out = map_result_t<F, T>;
    return add_transform<Out, Kernel<op::map, T, Out, F>>(std::move(name), "map", options,
                                                          std::move(f));
  }

  // Keeps the items for which pred(item) is true.
  template <class F>
  requires FilterPredicate<F, T> TransformStream<T, T> filter(std::string name, F pred,
                                                              NodeOptions options = {})
  const {
    return add_transform<T, Kernel<op::filter, T, F>>(std::move(name), "filter", options,
                                                      std::move(pred));
  }

  // f(item) returns a range; each of its elements is emitted.
  template <class F>
  requires FlatMapFunction<F, T>
  auto flat_map(std::string name, F f, NodeOptions options = {}) const {
    using Out = std::remove_cvref_t<std::ranges::range_value_t<std::invoke_result_t<F&, T&&>>>;
    return add_transform<Out, Kernel<op::flat_map, T, Out, F>>(std::move(name), "flat_map", options,
                                                               std::move(f));
  }

  // f(item, emit) calls emit(u) for each output: no container per item.
  template <class U, class F>
  requires FlatMapEmitter<F, T, U> TransformStream<T, U> flat_map(std::string name, F f,
                                                                  NodeOptions options = {})
  const {
    return add_transform<U, Kernel<op::flat_map_emit, T, U, F>>(std::move(name), "flat_map",
                                                                options, std::move(f));
  }

  // Calls f(item) and passes the item on unchanged.
  template <class F>
  requires InspectFunction<F, T> TransformStream<T, T> inspect(std::string name, F f,
                                                               NodeOptions options = {})
  const {
    return add_transform<T, Kernel<op::inspect, T, F>>(std::move(name), "inspect", options,
                                                       std::move(f));
  }

  // Passes items on unchanged and records, per item, how long ago stamp_of(item) was: the
  // item's stamp is sw::wall_clock_ns() taken where it entered the pipeline (on any thread or
  // rank of one machine). The report's NodeReport::latency has the percentiles; the summary
  // and --metrics-json print p50/p99/p99.9.
  template <class F>
  requires TimeFunction<F, T> TransformStream<T, T> measure_latency(std::string name, F stamp_of,
                                                                    NodeOptions options = {})
  const {
    return add_transform<T, Kernel<op::measure_latency, T, F>>(std::move(name), "latency", options,
                                                               std::move(stamp_of));
  }

  // A class-based (stateful) transformer; each instance gets its own copy of `p`.
  template <class P>
  requires Transformer<P, T> TransformStream<T, typename P::output_type> transform(
      std::string name, P p, NodeOptions options = {})
  const {
    using Out = typename P::output_type;
    return add_transform<Out, Kernel<op::transform, T, P>>(std::move(name), "transform", options,
                                                           std::move(p));
  }

  // Event time: passes the items on unchanged and emits watermarks from time_of(item) with
  // bounded out-of-orderness (newest time - out_of_orderness - 1). Put it right after the
  // source, before anything partitions the stream: it takes its input's parallelism (unless
  // options.node sets one) and so fuses with it. Windows and joins downstream fire on these.
  template <class F>
  requires TimeFunction<F, T> TransformStream<T, T> with_watermarks(std::string name, F time_of,
                                                                    WatermarkOptions options = {})
  const {
    auto stream = add_transform<T, Kernel<op::watermarks, T, F>>(
        std::move(name), "watermarks", options.node, std::move(time_of), options.out_of_orderness,
        options.every_items);
    graph_->node(stream.node()).inherit_parallelism();
    return stream;
  }

  // Partitions by key: the next node's instance for an item is chosen by hash(key(item)).
  template <class F>
  requires KeyFunction<F, T> && Exchangeable<T> KeyedStream<T, F> key_by(F key)
  const { return KeyedStream<T, F>(*this, std::move(key)); }

  // Spreads the next node's input round-robin, batch by batch, over its instances.
  [[nodiscard]] Stream rebalance() const requires Exchangeable<T> {
    return partitioned(Partitioning::rebalance);
  }
  // Sends every item to every instance of the next node.
  [[nodiscard]] Stream broadcast() const requires Exchangeable<T> {
    return partitioned(Partitioning::broadcast);
  }
  // Sends every item to instance 0 of the next node (e.g. one sink that sees everything).
  [[nodiscard]] Stream gather() const requires Exchangeable<T> {
    return partitioned(Partitioning::gather);
  }

  // Windows over the whole stream, in one instance (the items are gathered to it): as
  // KeyedStream::window with every item under one key, AllKeys{}.
  template <class TimeFn, class G>
  requires TimeFunction<TimeFn, T> && WindowFunction<G, T, AllKeys> && Exchangeable<T>
  auto window_all(std::string name, WindowAssigner assigner, TimeFn time_of, G function,
                  WindowOptions options = {}) const {
    options.node.parallelism = 1;
    return partitioned(Partitioning::gather)
        .add_window(
            std::move(name), [](const T&) { return AllKeys{}; }, std::move(assigner),
            std::move(time_of), std::move(function), options);
  }

  // Keyed joins of this stream (A) with `other` (B) on key_a(a) == key_b(b) (the same key
  // type), each pair passed to f(a, b) -> Out, or -> std::optional<Out> where a pair may not
  // match (operators/join.hpp). Both sides cross a hash exchange as std::variant<A, B>.
  // join: every item is held for ever (Flink's regular join; state grows with the input).
  template <class B, class KA, class KB, class F>
  requires KeyFunction<KA, T> && KeyFunction<KB, B> && std::invocable<F&, const T&, const B&> &&
      Exchangeable<T> && Exchangeable<B>
  auto join(std::string name, const Stream<B>& other, KA key_a, KB key_b, F f,
            NodeOptions options = {}) const {
    constexpr auto never = [](const auto&) { return kMaxEventTime; };
    return join_until(std::move(name), other, std::move(key_a), std::move(key_b), std::move(f),
                      never, never, options);
  }
  // join_until: an item of A is held until the watermark reaches expire_a(a), one of B until
  // it reaches expire_b(b); afterwards it can match nothing new.
  template <class B, class KA, class KB, class F, class EA, class EB>
  requires KeyFunction<KA, T> && KeyFunction<KB, B> && std::invocable<F&, const T&, const B&> &&
      TimeFunction<EA, T> && TimeFunction<EB, B> && Exchangeable<T> && Exchangeable<B>
  auto join_until(std::string name, const Stream<B>& other, KA key_a, KB key_b, F f, EA expire_a,
                  EB expire_b, NodeOptions options = {}) const {
    static_assert(std::is_same_v<key_result_t<KA, T>, key_result_t<KB, B>>,
                  "join: key_a and key_b must return the same key type");
    using Both = std::variant<T, B>;
    auto key = detail::on_either<Both>(std::move(key_a), std::move(key_b));
    const Stream<Both> both = tagged_merge(name, other);
    return both.partitioned_by(key)
        .template add_transform<join_output_t<T, B, F>,
                                Kernel<op::join, T, B, decltype(key), F, EA, EB>>(
            std::move(name), "join", options, key, std::move(f), std::move(expire_a),
            std::move(expire_b));
  }
  // interval_join: pairs with time_b(b) in [time_a(a) + lower, time_a(a) + upper] (Flink's
  // interval join); each item is held only while a partner may still come.
  template <class B, class KA, class KB, class TA, class TB, class F>
  requires KeyFunction<KA, T> && KeyFunction<KB, B> && TimeFunction<TA, T> && TimeFunction<TB, B> &&
      std::invocable<F&, const T&, const B&> && Exchangeable<T> && Exchangeable<B>
  auto interval_join(std::string name, const Stream<B>& other, KA key_a, KB key_b, TA time_a,
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
  template <class B, class KA, class KB, class TA, class TB, class F>
  requires KeyFunction<KA, T> && KeyFunction<KB, B> && TimeFunction<TA, T> && TimeFunction<TB, B> &&
      std::invocable<F&, const T&, const B&> && Exchangeable<T> && Exchangeable<B>
  auto window_join(std::string name, const Stream<B>& other, KA key_a, KB key_b, TA time_a,
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
    const Stream<Both> both = tagged_merge(name, other);
    auto windows = both.partitioned_by(key).add_window(
        name + "/window", key, std::move(assigner), std::move(time_of),
        ProcessWindow<Both, decltype(pairs)>{std::move(pairs)}, options);
    using Result = typename decltype(windows)::value_type;
    return windows.flat_map(
        std::move(name), [](Result w) { return std::move(w.value); }, options.node);
  }

  // One stream of the items of this stream and of `others` (same item type), in no
  // particular order between inputs.
  template <class... Others>
  requires(std::convertible_to<const Others&, const Stream<T>&>&&...) Stream<T> merge(
      const Others&... others)
  const { return merge_as(graph_->unique_name("merge"), {}, others...); }
  template <class... Others>
  requires(std::convertible_to<const Others&, const Stream<T>&>&&...) Stream<T> merge_as(
      std::string name, NodeOptions options, const Others&... others)
  const {
    const NodeId id = graph_->add_node(std::make_unique<MergeNode<T>>(std::move(name), options));
    connect_to(id);
    (static_cast<const Stream<T>&>(others).connect_to(id), ...);
    return Stream<T>(*graph_, id, kMainPort);
  }

  // Ends the stream in a sink: sw::collect, sw::count, sw::for_each, sw::discard, ...
  template <class S>
  requires SinkSpec<S, T>
  void sink(std::string name, S spec, NodeOptions options = {}) const {
    // A sink that writes one file has one instance unless told otherwise (then it fails).
    if constexpr (requires { S::kDefaultParallelism; }) {
      if (!options.parallelism) options.parallelism = S::kDefaultParallelism;
    }
    auto make = [spec = std::move(spec)](const InstanceContext& ctx) {
      return std::unique_ptr<OperatorInstance>(spec.template instantiate<T>(ctx));
    };
    const NodeId id = graph_->add_node(std::make_unique<SinkNode<T, decltype(make)>>(
        std::move(name), S::op_name, options, std::move(make)));
    connect_to(id);
  }

  // Settings of the node that produced this stream: they change that node, so they are not
  // const (a const handle is one its holder may read, not use to reconfigure the graph).
  Stream& parallelism(unsigned n) {
    options().parallelism = n;
    return *this;
  }
  Stream& batch_size(std::size_t n) {
    options().batch_size = n;
    return *this;
  }
  Stream& linger(std::chrono::microseconds d) {
    options().linger = d;
    return *this;
  }
  Stream& channel_capacity(std::size_t batches) {
    options().channel_capacity = batches;
    return *this;
  }
  Stream& disable_chaining() {
    options().chain = false;
    return *this;
  }
  Stream& on_error(ErrorPolicy policy) {
    options().errors = policy;
    return *this;
  }

  [[nodiscard]] Graph& graph() const noexcept { return *graph_; }
  [[nodiscard]] NodeId node() const noexcept { return node_; }
  [[nodiscard]] std::size_t port() const noexcept { return port_; }

 protected:
  template <class U, class KeyFn>
  friend class KeyedStream;
  template <class U>
  friend class Stream;

  template <class Out, class K, class... Args>
  TransformStream<T, Out> add_transform(std::string name, const char* op, NodeOptions options,
                                        Args... args) const {
    auto make = [... args = std::move(args)](const InstanceContext& ctx) {
      return std::unique_ptr<OperatorInstance>(std::make_unique<K>(ctx, args...));
    };
    const NodeId id = graph_->add_node(std::make_unique<TransformNode<T, Out, decltype(make)>>(
        std::move(name), op, options, std::move(make)));
    connect_to(id);
    return TransformStream<T, Out>(*graph_, id);
  }

  template <class KeyFn, class TimeFn, class G>
  auto add_window(std::string name, KeyFn key, WindowAssigner assigner, TimeFn time_of, G function,
                  WindowOptions options) const {
    using Out = typename WindowOutput<T, KeyFn, TimeFn, G>::type;
    using K = Kernel<op::window, T, KeyFn, TimeFn, G>;
    auto make = [key = std::move(key), time_of = std::move(time_of), function = std::move(function),
                 assigner, options](const InstanceContext& ctx) {
      return std::unique_ptr<OperatorInstance>(
          std::make_unique<K>(ctx, key, time_of, function, assigner, options));
    };
    const NodeId id = graph_->add_node(std::make_unique<TransformNode<T, Out, decltype(make), T>>(
        std::move(name), "window", options.node, std::move(make)));
    connect_to(id);
    return WindowStream<T, Out>(*graph_, id);
  }

  // This stream and `other` as one stream of std::variant<T, B>: the tagging maps fuse with
  // their producers (they take their parallelism), then a merge.
  template <class B>
  Stream<std::variant<T, B>> tagged_merge(const std::string& name, const Stream<B>& other) const {
    using Both = std::variant<T, B>;
    auto left = map(name + "/left", [](T a) { return Both(std::in_place_index<0>, std::move(a)); });
    graph_->node(left.node()).inherit_parallelism();
    auto right =
        other.map(name + "/right", [](B b) { return Both(std::in_place_index<1>, std::move(b)); });
    graph_->node(right.node()).inherit_parallelism();
    return left.merge_as(name + "/merge", {}, right);
  }

  // This stream hash-partitioned by `key` (what key_by does, without its KeyedStream).
  template <class KeyFn>
  [[nodiscard]] Stream partitioned_by(KeyFn key) const {
    Stream copy = *this;
    copy.partitioning_ = Partitioning::hash;
    copy.router_ = std::make_shared<KeyRouterFor<T, KeyFn>>(std::move(key));
    return copy;
  }

  [[nodiscard]] Stream partitioned(Partitioning partitioning) const {
    Stream copy = *this;
    copy.partitioning_ = partitioning;
    copy.router_.reset();
    return copy;
  }

  void connect_to(NodeId id) const {
    graph_->add_edge(EdgeSpec{node_, port_, id, partitioning_, router_});
  }

  NodeOptions& options() { return graph_->node(node_).options(); }
  [[nodiscard]] const NodeOptions& options() const {
    return static_cast<const Graph&>(*graph_).node(node_).options();
  }

  Graph* graph_;
  NodeId node_;
  std::size_t port_;
  Partitioning partitioning_ = Partitioning::forward;
  std::shared_ptr<const KeyRouterBase> router_;
};

// The stream of a transform node, which also has a dead-letter output.
template <class In, class Out>
class TransformStream : public Stream<Out> {
 public:
  TransformStream(Graph& graph, NodeId node) noexcept : Stream<Out>(graph, node, 0) {}

  // The items this node failed on, with their errors. Requires ErrorPolicy::dead_letter
  // on the node (validation says so otherwise).
  [[nodiscard]] Stream<DeadLetter<In>> dead_letters() const {
    return Stream<DeadLetter<In>>(*this->graph_, this->node_, kDeadLetterPort);
  }
};

// The stream of a window node: its results, and the items that came too late for it.
template <class In, class Out>
class WindowStream : public TransformStream<In, Out> {
 public:
  WindowStream(Graph& graph, NodeId node) noexcept : TransformStream<In, Out>(graph, node) {}

  // With WindowOptions::late = LateData::side_output: the items that arrived after every
  // window they belong to had closed, unchanged.
  [[nodiscard]] Stream<In> late_items() const {
    return Stream<In>(*this->graph_, this->node_, kLatePort);
  }
};

// A stream partitioned by key: the next node receives every item of a key in one instance.
template <class T, class KeyFn>
class KeyedStream : public Stream<T> {
 public:
  using key_type = key_result_t<KeyFn, T>;

  KeyedStream(const Stream<T>& stream, KeyFn key) : Stream<T>(stream), key_(std::move(key)) {
    this->partitioning_ = Partitioning::hash;
    this->router_ = std::make_shared<KeyRouterFor<T, KeyFn>>(key_);
  }

  // Running state per key: acc = fold(acc, item), starting from `init`; emits
  // KeyValue{key, acc} after every item, or once per key at end (options.emit).
  template <class Acc, class G>
  requires AggregateFunction<G, Acc, T> TransformStream<T, KeyValue<key_type, Acc>> aggregate(
      std::string name, Acc init, G fold, ReduceOptions options = {})
  const {
    using Out = KeyValue<key_type, Acc>;
    return this->template add_transform<Out, Kernel<op::aggregate, T, KeyFn, Acc, G>>(
        std::move(name), "aggregate", options.node, key_, std::move(init), std::move(fold),
        options.emit);
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
    const Stream<T> unshuffled(*this->graph_, this->node_, this->port_);
    NodeOptions local;
    local.parallelism = this->options().parallelism;  // same instances: the edge fuses
    auto partials =
        unshuffled.template add_transform<Partial, Kernel<op::aggregate, T, KeyFn, Acc, G>>(
            name + "/local", "aggregate", local, key_, init, std::move(fold), Emit::at_end);
    auto merge_into = [merge = std::move(merge)](Acc& acc, const Partial& partial) {
      if constexpr (std::is_invocable_v<M&, Acc&, const Acc&> &&
                    std::is_void_v<std::invoke_result_t<M&, Acc&, const Acc&>>) {
        std::invoke(merge, acc, partial.value);
      } else {
        acc = std::invoke(merge, std::move(acc), partial.value);
      }
    };
    return partials.key_by([](const Partial& partial) { return partial.key; })
        .aggregate(std::move(name), std::move(init), std::move(merge_into),
                   ReduceOptions{.emit = Emit::at_end, .node = options});
  }

  // Windows per key (operators/window.hpp): `assigner` is sw::tumbling(size),
  // sw::sliding(size, slide), sw::session(gap) or sw::count_window(n); time_of(item) is the
  // item's event time (ignored by count windows); `function` an aggregate (sw::agg::count(),
  // sw::agg::sum<T>(f), ..., or a class with create/add/merge/result) or
  // sw::process_window<T>(f). Emits Windowed{key, start, end, result}.
  template <class TimeFn, class G>
  requires TimeFunction<TimeFn, T> && WindowFunction<G, T, key_type>
  auto window(std::string name, WindowAssigner assigner, TimeFn time_of, G function,
              WindowOptions options = {}) const {
    return this->add_window(std::move(name), key_, std::move(assigner), std::move(time_of),
                            std::move(function), options);
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

  // aggregate() whose accumulator type is fold's first parameter, starting value-initialised:
  // reduce("sum", [](std::int64_t acc, const Bid& b) { return acc + b.price; }).
  template <class G>
  requires ReduceFunction<G, T>
  auto reduce(std::string name, G fold, ReduceOptions options = {}) const {
    return aggregate(std::move(name), accumulator_t<G>{}, std::move(fold), options);
  }

 private:
  KeyFn key_;
};

template <class S>
requires SourceSpec<S> Stream<typename S::value_type> Graph::source(std::string name, S spec,
                                                                    NodeOptions options) {
  using T = typename S::value_type;
  auto make = [spec = std::move(spec)](const InstanceContext& ctx) {
    return std::unique_ptr<OperatorInstance>(spec.instantiate(ctx));
  };
  const NodeId id = add_node(std::make_unique<SourceNode<T, decltype(make)>>(
      std::move(name), S::op_name, options, std::move(make)));
  return Stream<T>(*this, id, 0);
}

}  // namespace sw
