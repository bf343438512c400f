// Graph: the blueprint a user builds. It holds nodes and edges, checks them, and renders
// them; Graph::run hands it to an executor (runtime/). Building a graph is single-threaded;
// a built graph may be run several times, one run at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "streamweave/engine/concepts.hpp"
#include "streamweave/engine/node.hpp"
#include "streamweave/engine/options.hpp"
#include "streamweave/engine/report.hpp"

namespace sw {

template <class T>
class Stream;

class Graph {
 public:
  explicit Graph(std::string name = "graph");
  // Streams refer to their graph: it neither copies nor moves.
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  // Adds a source node. `spec` comes from the operator library: sw::generate, sw::from,
  // sw::producer. Throws GraphError if the name is taken.
  template <class S>
  requires SourceSpec<S> Stream<typename S::value_type> source(std::string name, S spec,
                                                               NodeOptions options = {});

  // Runs the graph to completion and reports what it did: in this process, or with
  // options.mode == Mode::distributed over the program's MPI ranks (every rank calls run()
  // on the same graph). Throws GraphError for a malformed graph, NodeError when a node fails
  // (policy stop), RemoteFailure on the other ranks when one rank fails. Blocks the calling
  // thread; defined by the runtime library.
  RunReport run(const RunOptions& options = {}) const;

  // Throws GraphError naming the node when the graph cannot run: duplicate names, a stream
  // nobody consumes, no sink, parallelism 0, a cycle, a misused error policy.
  void validate() const;

  // The graph in Graphviz DOT: nodes with their parallelism, edges with their partitioning,
  // fused chains (for `options`) as clusters. In distributed mode (options.mode), for `ranks`
  // ranks: each node's ranks, and the exchange edges (frames) dashed.
  [[nodiscard]] std::string to_dot(const RunOptions& options = {}, unsigned ranks = 1) const;

  // Parallelism of nodes that set none; unset, it is RunOptions::threads.
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

#include "streamweave/engine/stream.hpp"
