#include "streamweave/engine/graph.hpp"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "streamweave/engine/errors.hpp"
#include "streamweave/engine/plan.hpp"

namespace sw {
namespace {

std::string describe_node(const NodeSpec& node) {
  return "node '" + node.name() + "' (" + node.op() + ")";
}

std::string dot_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

Graph::Graph(std::string name) : name_(std::move(name)) {}

Graph& Graph::default_parallelism(unsigned parallelism) noexcept {
  default_parallelism_ = parallelism;
  return *this;
}

NodeId Graph::add_node(std::unique_ptr<NodeSpec> node) {
  if (node->name().empty()) {
    throw GraphError("graph '" + name_ + "': a " + node->op() + " node has an empty name");
  }
  for (const auto& existing : nodes_) {
    if (existing->name() == node->name()) {
      throw GraphError("graph '" + name_ + "': duplicate node name '" + node->name() + "' (a " +
                       existing->op() + " and a " + node->op() + ")");
    }
  }
  nodes_.push_back(std::move(node));
  return nodes_.size() - 1;
}

void Graph::add_edge(EdgeSpec edge) {
  if (edge.from >= nodes_.size() || edge.to >= nodes_.size()) {
    throw GraphError("graph '" + name_ +
                     "': edge refers to an unknown node (was a stream of another graph used?)");
  }
  const NodeSpec& from = *nodes_[edge.from];
  const NodeSpec& to = *nodes_[edge.to];
  if (edge.port >= from.port_count()) {
    throw GraphError("graph '" + name_ + "': " + describe_node(from) + " has no output port " +
                     std::to_string(edge.port));
  }
  if (to.kind() == NodeKind::source) {
    throw GraphError("graph '" + name_ + "': " + describe_node(to) +
                     " is a source and takes no input");
  }
  if (from.port(edge.port).item_type() != to.input_type()) {
    throw GraphError("graph '" + name_ + "': " + describe_node(from) + " emits " +
                     from.port(edge.port).item_type().name() + " but " + describe_node(to) +
                     " takes " + to.input_type().name());
  }
  if (edge.partitioning == Partitioning::hash && !edge.router) {
    throw GraphError("graph '" + name_ + "': hash edge into " + describe_node(to) + " has no key");
  }
  edges_.push_back(std::move(edge));
}

std::string Graph::unique_name(std::string_view base) const {
  auto taken = [&](const std::string& name) {
    return std::any_of(nodes_.begin(), nodes_.end(),
                       [&](const auto& n) { return n->name() == name; });
  };
  std::string name(base);
  for (unsigned i = 2; taken(name); ++i) name = std::string(base) + "-" + std::to_string(i);
  return name;
}

void Graph::validate() const {
  (void)make_plan(*this, RunOptions{.threads = 1});
}

Plan make_plan(const Graph& graph, const RunOptions& options, unsigned ranks) {
  const std::string where = "graph '" + graph.name() + "': ";
  const std::size_t n = graph.node_count();
  const auto& edges = graph.edges();
  const bool distributed = options.mode == Mode::distributed;
  if (distributed && ranks == 0) throw GraphError(where + "distributed mode needs at least 1 rank");
  if (options.threads > kMaxThreads) {
    throw GraphError(where + "RunOptions threads is " + std::to_string(options.threads) +
                     "; at most " + std::to_string(kMaxThreads));
  }
  Plan plan;
  plan.mode = options.mode;
  plan.ranks = distributed ? ranks : 1;
  plan.nodes.resize(n);
  plan.edges.resize(edges.size());
  plan.inputs.resize(n);
  plan.outputs.resize(n);
  for (std::size_t e = 0; e < edges.size(); ++e) {
    plan.outputs[edges[e].from].push_back(e);
    plan.inputs[edges[e].to].push_back(e);
  }

  // Settings and the structural checks that name one node.
  bool has_sink = false;
  const unsigned fallback_parallelism =
      graph.default_parallelism().value_or(resolved_threads(options) * plan.ranks);
  for (NodeId id = 0; id < n; ++id) {
    const NodeSpec& node = graph.node(id);
    const NodeOptions& o = node.options();
    const std::string what = where + describe_node(node);
    if (o.parallelism && *o.parallelism == 0)
      throw GraphError(what + ": parallelism must be at least 1");
    if (o.batch_size && *o.batch_size == 0)
      throw GraphError(what + ": batch size must be at least 1");
    if (o.channel_capacity && *o.channel_capacity == 0) {
      throw GraphError(what + ": channel capacity must be at least 1 batch");
    }
    if (fallback_parallelism == 0)
      throw GraphError(where + "default parallelism must be at least 1");
    PlanNode& p = plan.nodes[id];
    p.parallelism = o.parallelism.value_or(fallback_parallelism);
    if (!o.parallelism && node.inherits_parallelism() && plan.inputs[id].size() == 1) {
      // Nodes are added after their inputs, so the input's parallelism is settled.
      p.parallelism = plan.nodes[edges[plan.inputs[id][0]].from].parallelism;
    }
    p.batch_size = o.batch_size.value_or(options.batch_size);
    p.linger = o.linger.value_or(options.linger);
    p.channel_capacity = o.channel_capacity.value_or(options.channel_capacity);
    if (p.batch_size == 0 || p.channel_capacity == 0) {
      throw GraphError(where + "RunOptions batch_size and channel_capacity must be at least 1");
    }
    if (p.batch_size > kMaxBatchSize) {
      throw GraphError(what + ": batch size " + std::to_string(p.batch_size) + " is more than " +
                       std::to_string(kMaxBatchSize) + " items");
    }

    has_sink = has_sink || node.kind() == NodeKind::sink;
    if (node.kind() != NodeKind::source && plan.inputs[id].empty()) {
      throw GraphError(what + " has no input");
    }
    if (node.kind() == NodeKind::source && o.errors.kind() != ErrorPolicy::Kind::stop) {
      throw GraphError(what + ": a source supports only the stop error policy");
    }
    const bool dead_letter_policy = o.errors.kind() == ErrorPolicy::Kind::dead_letter;
    if (dead_letter_policy && node.kind() != NodeKind::transform) {
      throw GraphError(what + ": the dead-letter error policy needs a transform (a " +
                       std::string(node.kind() == NodeKind::source ? "source" : "sink") +
                       " has no dead-letter stream); use stop, skip or retry");
    }
    std::vector<std::size_t> per_port(node.port_count(), 0);
    for (std::size_t e : plan.outputs[id]) ++per_port[edges[e].port];
    if (node.kind() != NodeKind::sink && per_port.at(0) == 0) {
      throw GraphError(what +
                       ": its output stream is not consumed by any node; end it in a sink "
                       "(e.g. .sink(\"out\", sw::discard()))");
    }
    if (node.port_count() > 1) {
      if (dead_letter_policy && per_port[1] == 0) {
        throw GraphError(what +
                         ": error policy is dead-letter but nothing consumes its "
                         "dead_letters() stream");
      }
      if (!dead_letter_policy && per_port[1] > 0) {
        throw GraphError(what + ": its dead_letters() stream is consumed but its error policy is " +
                         o.errors.to_string() + "; set .on_error(sw::ErrorPolicy::dead_letter())");
      }
    }
  }
  if (n == 0) throw GraphError(where + "the graph is empty");
  if (!has_sink) throw GraphError(where + "the graph has no sink; results would go nowhere");

  // Topological order (Kahn); whatever is left is on or behind a cycle.
  std::vector<std::size_t> pending(n);
  for (NodeId id = 0; id < n; ++id) pending[id] = plan.inputs[id].size();
  std::vector<NodeId> ready;
  for (NodeId id = 0; id < n; ++id) {
    if (pending[id] == 0) ready.push_back(id);
  }
  while (!ready.empty()) {
    const NodeId id = ready.back();
    ready.pop_back();
    plan.order.push_back(id);
    for (std::size_t e : plan.outputs[id]) {
      if (--pending[edges[e].to] == 0) ready.push_back(edges[e].to);
    }
  }
  if (plan.order.size() != n) {
    for (NodeId id = 0; id < n; ++id) {
      if (pending[id] != 0) {
        throw GraphError(where + "a cycle runs through " + describe_node(graph.node(id)));
      }
    }
  }

  // Partitioning and fusion.
  for (std::size_t e = 0; e < edges.size(); ++e) {
    const EdgeSpec& edge = edges[e];
    const PlanNode& from = plan.nodes[edge.from];
    const PlanNode& to = plan.nodes[edge.to];
    PlanEdge& p = plan.edges[e];
    p.partitioning = edge.partitioning;
    if (p.partitioning == Partitioning::forward && from.parallelism != to.parallelism) {
      p.partitioning = Partitioning::rebalance;
    }
    // Every key goes to the one consumer: whole batches go as they are, not scattered.
    if (p.partitioning == Partitioning::hash && to.parallelism == 1) {
      p.partitioning = Partitioning::rebalance;
    }
    const bool trivially_forward =
        p.partitioning == Partitioning::forward || (from.parallelism == 1 && to.parallelism == 1);
    std::size_t port_edges = 0;
    for (std::size_t other : plan.outputs[edge.from]) port_edges += edges[other].port == edge.port;
    p.fused = trivially_forward && from.parallelism == to.parallelism && port_edges == 1 &&
              graph.node(edge.from).options().chain && graph.node(edge.to).options().chain &&
              plan.inputs[edge.to].size() == 1 && !graph.node(edge.to).accepts_many_inputs();
    p.exchange = distributed && !p.fused && !trivially_forward;
    const PortSpec& port = graph.node(edge.from).port(edge.port);
    if (p.exchange && port.codec() == nullptr) {
      throw GraphError(where + "edge " + describe_node(graph.node(edge.from)) + " -> " +
                       describe_node(graph.node(edge.to)) + " (" +
                       std::string(to_string(p.partitioning)) +
                       ") crosses ranks, but its item type " + std::string(port.item_type_name()) +
                       " has no binary codec; make it an aggregate of codable fields or give it "
                       "sw_encode/sw_decode (docs/serde.md), or keep the edge forward");
    }
  }

  // Chains: a node joins the chain of its producer when its only input edge is fused.
  std::vector<std::size_t> chain_of(n, 0);
  for (NodeId id : plan.order) {
    const auto& in = plan.inputs[id];
    if (in.size() == 1 && plan.edges[in[0]].fused) {
      chain_of[id] = chain_of[edges[in[0]].from];
      plan.chains[chain_of[id]].push_back(id);
    } else {
      chain_of[id] = plan.chains.size();
      plan.chains.push_back({id});
    }
    plan.nodes[id].chain = chain_of[id];
  }
  return plan;
}

std::string Graph::to_dot(const RunOptions& options, unsigned ranks) const {
  const Plan plan = make_plan(*this, options, ranks);
  // Distributed: instance i runs on rank i % ranks, so a node spans the first min(p, ranks).
  auto placement = [&](NodeId id) -> std::string {
    if (plan.mode != Mode::distributed) return "";
    const unsigned spanned = std::min(plan.nodes[id].parallelism, plan.ranks);
    return spanned == 1 ? "\\nrank 0" : "\\nranks 0-" + std::to_string(spanned - 1);
  };
  std::ostringstream out;
  out << "digraph \"" << dot_escape(name_) << "\" {\n"
      << "  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
      << "  edge [fontname=\"Helvetica\", fontsize=10];\n";
  for (std::size_t c = 0; c < plan.chains.size(); ++c) {
    const auto& chain = plan.chains[c];
    out << "  subgraph cluster_chain" << c << " {\n    label=\"task " << c << " ×"
        << plan.nodes[chain.front()].parallelism << "\";\n    style=dashed;\n";
    for (NodeId id : chain) {
      const NodeSpec& node = *nodes_[id];
      out << "    n" << id << " [label=\"" << dot_escape(node.name()) << "\\n"
          << dot_escape(node.op()) << " ×" << plan.nodes[id].parallelism << placement(id) << "\"";
      if (node.kind() == NodeKind::source) out << ", shape=invhouse";
      if (node.kind() == NodeKind::sink) out << ", shape=house";
      out << "];\n";
    }
    out << "  }\n";
  }
  for (std::size_t e = 0; e < edges_.size(); ++e) {
    const EdgeSpec& edge = edges_[e];
    out << "  n" << edge.from << " -> n" << edge.to << " [label=\""
        << to_string(plan.edges[e].partitioning) << (plan.edges[e].fused ? " (fused)" : "")
        << (plan.edges[e].exchange ? " (frames)" : "") << (edge.port == 1 ? "\\ndead letters" : "")
        << "\"";
    if (plan.edges[e].fused) out << ", style=bold";
    if (plan.edges[e].exchange) out << ", style=dashed";
    if (edge.port == 1) out << ", color=red";
    out << "];\n";
  }
  out << "}\n";
  return out.str();
}

}  // namespace sw
