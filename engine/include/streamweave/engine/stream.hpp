// Stream<T>: a typed handle on one output of a node, and the fluent API that adds nodes
// after it. Handles are cheap values; using one handle twice is fan-out.
//
// The engine gives a stream what every operator needs: partitioning (key_by, rebalance,
// broadcast, gather), sinks, the settings of the node that produced it, and the building
// blocks an operator's fluent method is made of (add_transform, attach). The operators'
// methods themselves (map, filter, window, join, ...) come with each operator, as a mixin
// (operators/<name>.hpp): the facade <streamweave/streamweave.hpp> defines StreamMethods and
// KeyedStreamMethods as the list of every operator's mixin, one line per operator.
//
// Transform methods take a name (unique in the graph), the user function and optional
// NodeOptions, and return the new node's stream. The settings methods (parallelism,
// batch_size, ...) change the node that produced the stream.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "streamweave/engine/chain.hpp"
#include "streamweave/engine/concepts.hpp"
#include "streamweave/engine/graph.hpp"
#include "streamweave/engine/node_types.hpp"
#include "streamweave/engine/partitioning.hpp"

namespace sw {

template <class In, class Out, class Chain = Unchained>
class TransformStream;
template <class T, class KeyFn, class Chain = Unchained>
class KeyedStream;

// The operators' fluent methods of a Stream<T> (Self) and of a KeyedStream<T, KeyFn>: defined
// by the facade as a class deriving from every operator's mixin. Using a stream without the
// facade's header is "incomplete type StreamMethods<...>".
template <class Self, class T>
struct StreamMethods;
template <class Self, class T, class KeyFn>
struct KeyedStreamMethods;

// The base of an operator's mixin `Mixin` (CRTP, so that every mixin's base has a type of its
// own and the empty bases take no room): self() is the stream the method was called on.
//   template <class Self, class T>
//   struct MapMethods : StreamMixin<Self, MapMethods<Self, T>> { auto map(...) const; };
template <class Self, class Mixin>
class StreamMixin {
 protected:
  [[nodiscard]] const Self& self() const noexcept { return static_cast<const Self&>(*this); }
};

// `Chain`: the stateless steps before this stream that the next operator may compile with
// (chain.hpp); a Stream<T> (Unchained) is any stream of T, and every Stream<T, Chain> converts
// to one.
template <class T, class Chain>
class Stream : public StreamMethods<Stream<T, Chain>, T> {
 public:
  using value_type = T;
  using chain_type = Chain;

  Stream(Graph& graph, NodeId node, std::size_t port, Chain chain = {}) noexcept
      : graph_(&graph), node_(node), port_(port), chain_(std::move(chain)) {}
  // The same stream, forgetting its chain: what follows starts a chain of its own.
  template <class Other>
  requires(std::is_same_v<Chain, Unchained> && !std::is_same_v<Other, Unchained>)
      Stream(const Stream<T, Other>& other)  // NOLINT(google-explicit-constructor)
      : graph_(other.graph_),
        node_(other.node_),
        port_(other.port_),
        partitioning_(other.partitioning_),
        router_(other.router_) {}

  // Partitions by key: the next node's instance for an item is chosen by hash(key(item)).
  template <class F>
  requires KeyFunction<F, T> && Exchangeable<T> KeyedStream<T, F, Chain> key_by(F key)
  const { return KeyedStream<T, F, Chain>(*this, std::move(key)); }

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
    (void)attach(std::make_unique<SinkNode<T, decltype(make)>>(std::move(name), S::op_name, options,
                                                               std::move(make)));
  }

  // Settings of the node that produced this stream: they change that node, so they are not
  // const (a const handle is one its holder may read, not use to reconfigure the graph).
  Stream& parallelism(unsigned n) {
    mutable_options().parallelism = n;
    return *this;
  }
  Stream& batch_size(std::size_t n) {
    mutable_options().batch_size = n;
    return *this;
  }
  Stream& linger(std::chrono::microseconds d) {
    mutable_options().linger = d;
    return *this;
  }
  Stream& channel_capacity(std::size_t batches) {
    mutable_options().channel_capacity = batches;
    return *this;
  }
  Stream& disable_chaining() {
    mutable_options().chain = false;
    return *this;
  }
  Stream& on_error(ErrorPolicy policy) {
    mutable_options().errors = policy;
    return *this;
  }

  [[nodiscard]] Graph& graph() const noexcept { return *graph_; }
  [[nodiscard]] NodeId node() const noexcept { return node_; }
  [[nodiscard]] std::size_t port() const noexcept { return port_; }
  [[nodiscard]] const NodeOptions& options() const {
    return static_cast<const Graph&>(*graph_).node(node_).options();
  }

  // Building blocks of the operators' fluent methods (operators/*.hpp).

  // Adds `node` to the graph with this stream as its input; returns its id.
  NodeId attach(std::unique_ptr<NodeSpec> node) const {
    const NodeId id = graph_->add_node(std::move(node));
    connect_to(id);
    return id;
  }
  // Makes this stream one more input of node `id` (a node that accepts many).
  void connect_to(NodeId id) const {
    graph_->add_edge(EdgeSpec{node_, port_, id, partitioning_, router_});
  }
  // A transform node after this stream whose instances are K(ctx, args...), with output
  // type Out: its stream. `op` names the operator in reports and pictures.
  template <class Out, class K, class... Args>
  TransformStream<T, Out> add_transform(std::string name, const char* op, NodeOptions options,
                                        Args... args) const {
    auto make = [... args = std::move(args)](const InstanceContext& ctx) {
      return std::unique_ptr<OperatorInstance>(std::make_unique<K>(ctx, args...));
    };
    const NodeId id = attach(std::make_unique<TransformNode<T, Out, decltype(make)>>(
        std::move(name), op, options, std::move(make)));
    return TransformStream<T, Out>(*graph_, id);
  }
  // add_transform for a stateless operator that is also `step` of a compiled chain
  // (chain.hpp): its instances are K(ctx, step, args...), so that the node and the compiled
  // chain run the same function, each from its own copy of the step. The stream it returns
  // carries this stream's chain and the step.
  template <class Out, class K, class Step, class... Args>
  auto add_step(std::string name, const char* op, NodeOptions options, Step step,
                Args... args) const {
    const NodeId id = add_transform<Out, K>(std::move(name), op, options, step, args...).node();
    auto chain = chain_to_extend<T>(chain_).then(std::move(step), id);
    offer_compiled(id, chain, [](const InstanceContext& ctx) { return OutputTail<Out>(ctx); });
    return TransformStream<T, Out, decltype(chain)>(*graph_, id, std::move(chain));
  }
  // add_transform for a stateful operator whose kernel K can end a compiled chain: it takes
  // each item through K::fused_item (and TransformBase::end_fused_batch after each batch).
  template <class Out, class K, class... Args>
  TransformStream<T, Out> add_tail(std::string name, const char* op, NodeOptions options,
                                   Args... args) const {
    TransformStream<T, Out> out = add_transform<Out, K>(std::move(name), op, options, args...);
    offer_tail<K>(out.node(), std::move(args)...);
    return out;
  }
  // For a stateful node `id` attached after this stream (a node type of its own, where
  // add_tail does not fit): offers its kernel K(ctx, args...) as the end of this stream's chain.
  template <class K, class... Args>
  void offer_tail(NodeId id, Args... args) const {
    if constexpr (!std::is_same_v<Chain, Unchained>) {
      offer_compiled(id, chain_.ended_by(id),
                     [... args = std::move(args)](const InstanceContext& ctx) {
                       return KernelTail<K>(std::make_unique<K>(ctx, args...));
                     });
    }
  }
  [[nodiscard]] const Chain& chain() const noexcept { return chain_; }
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

 protected:
  template <class, class>
  friend class Stream;

  NodeOptions& mutable_options() { return graph_->node(node_).options(); }

  // Offers node `id` compiled with the chain before it, when there is one to compile with.
  template <class Typed, class MakeTail>
  void offer_compiled(NodeId id, Typed chain, MakeTail make_tail) const {
    if (chain.nodes.size() < 2 || port_ != kMainPort) return;
    std::vector<NodeId> nodes = chain.nodes;
    graph_->node(id).set_compiler(std::make_shared<TypedChainCompiler<Typed, MakeTail>>(
        std::move(nodes), std::move(chain), std::move(make_tail)));
  }

  Graph* graph_;
  NodeId node_;
  std::size_t port_;
  Partitioning partitioning_ = Partitioning::forward;
  std::shared_ptr<const KeyRouterBase> router_;
  [[no_unique_address]] Chain chain_;
};

// The stream of a transform node, which also has a dead-letter output.
template <class In, class Out, class Chain>
class TransformStream : public Stream<Out, Chain> {
 public:
  TransformStream(Graph& graph, NodeId node, Chain chain = {}) noexcept
      : Stream<Out, Chain>(graph, node, kMainPort, std::move(chain)) {}
  template <class Other>
  requires(std::is_same_v<Chain, Unchained> && !std::is_same_v<Other, Unchained>)
      TransformStream(const TransformStream<In, Out, Other>& other)  // NOLINT
      : Stream<Out>(other) {}

  // The items this node failed on, with their errors. Requires ErrorPolicy::dead_letter
  // on the node (validation says so otherwise).
  [[nodiscard]] Stream<DeadLetter<In>> dead_letters() const {
    return Stream<DeadLetter<In>>(*this->graph_, this->node_, kDeadLetterPort);
  }
};

// The stream of a node with a side output of the items that came too late for it (a window).
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
// Its keyed operators (aggregate, combine, reduce, window) come from KeyedStreamMethods.
template <class T, class KeyFn, class Chain>
class KeyedStream : public Stream<T, Chain>,
                    public KeyedStreamMethods<KeyedStream<T, KeyFn, Chain>, T, KeyFn> {
 public:
  using key_type = key_result_t<KeyFn, T>;
  using key_function = KeyFn;

  KeyedStream(const Stream<T, Chain>& stream, KeyFn key)
      : Stream<T, Chain>(stream), key_(std::move(key)) {
    this->partitioning_ = Partitioning::hash;
    this->router_ = std::make_shared<KeyRouterFor<T, KeyFn>>(key_);
  }

  [[nodiscard]] const KeyFn& key() const noexcept { return key_; }
  // The stream before the shuffle (combine's local pre-aggregation fuses with it).
  [[nodiscard]] Stream<T, Chain> unshuffled() const {
    return Stream<T, Chain>(*this->graph_, this->node_, this->port_, this->chain_);
  }

 private:
  KeyFn key_;
};

template <class S>
requires SourceSpec<S> Stream<typename S::value_type, source_chain_t<S>> Graph::source(
    std::string name, S spec, NodeOptions options) {
  using T = typename S::value_type;
  auto make = [spec](const InstanceContext& ctx) {
    return std::unique_ptr<OperatorInstance>(spec.instantiate(ctx));
  };
  const NodeId id = add_node(std::make_unique<SourceNode<T, decltype(make)>>(
      std::move(name), S::op_name, options, std::move(make)));
  if constexpr (std::is_same_v<source_chain_t<S>, Unchained>) {
    return Stream<T>(*this, id, kMainPort);
  } else {
    return Stream<T, source_chain_t<S>>(
        *this, id, kMainPort, source_chain_t<S>{SourceHead<S>{std::move(spec)}, {}, {id}});
  }
}

}  // namespace sw
