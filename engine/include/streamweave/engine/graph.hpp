// Graph: the blueprint a user builds. It holds nodes and edges and checks them; it knows
// nothing of how it will run (sw::run, in the runtime, does that). Building a graph is
// single-threaded; a built graph may be run several times, one run at a time.
//
// Graph::source and the fluent Stream<T> API are in <streamweave/engine/stream.hpp>.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "streamweave/engine/chain.hpp"
#include "streamweave/engine/concepts.hpp"
#include "streamweave/engine/node.hpp"
#include "streamweave/engine/options.hpp"

namespace sw {

template <class T, class Chain = Unchained>
class Stream;

// The chain a source's stream starts: the source itself when it can hand its items to a
// compiled chain one at a time (chain.hpp), else none.
template <class S>
struct source_chain {
  using type = Unchained;
};
template <class S>
requires requires {
  typename S::chain_part;
}
struct source_chain<S> {
  using type = TypedChain<SourceHead<S>>;
};
template <class S>
using source_chain_t = typename source_chain<S>::type;

class Graph {
 public:
  explicit Graph(std::string name = "graph");
  // Streams refer to their graph: it neither copies nor moves.
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  // Adds a source node. `spec` comes from the operator library: sw::generate, sw::from,
  // sw::producer. Throws GraphError if the name is taken. Defined in stream.hpp.
  template <class S>
  requires SourceSpec<S> Stream<typename S::value_type, source_chain_t<S>> source(
      std::string name, S spec, NodeOptions options = {});

  // Throws GraphError naming the node when the graph cannot run: duplicate names, a stream
  // nobody consumes, no sink, parallelism 0, a cycle, a misused error policy.
  void validate() const;

  // Parallelism of nodes that set none; unset, it is the run's (its workers).
  Graph& default_parallelism(unsigned parallelism) noexcept;
  [[nodiscard]] std::optional<unsigned> default_parallelism() const noexcept {
    return default_parallelism_;
  }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  // Low-level construction, used by Stream and by tests. add_node throws GraphError on a
  // duplicate name; add_edge on an unknown node or port, or a type mismatch.
  NodeId add_node(std::unique_ptr<NodeSpec> node);
  void add_edge(EdgeSpec edge);
  [[nodiscard]] std::size_t node_count() const noexcept { return nodes_.size(); }
  [[nodiscard]] const NodeSpec& node(NodeId id) const { return *nodes_.at(id); }
  [[nodiscard]] NodeSpec& node(NodeId id) { return *nodes_.at(id); }
  [[nodiscard]] const std::vector<EdgeSpec>& edges() const noexcept { return edges_; }
  // `base` if no node has that name yet, else `base-2`, `base-3`, ...
  [[nodiscard]] std::string unique_name(std::string_view base) const;

 private:
  std::string name_;
  std::vector<std::unique_ptr<NodeSpec>> nodes_;
  std::vector<EdgeSpec> edges_;
  std::optional<unsigned> default_parallelism_;
};

}  // namespace sw
