#include "streamweave/engine/plan.hpp"

#include <sstream>

#include "streamweave/engine/chain.hpp"
#include "streamweave/engine/errors.hpp"

namespace sw {
namespace {

// The node's options resolved against the defaults, and the checks that concern one node.
class PlanBuilder {
 public:
  PlanBuilder(const Graph& graph, const PlanDefaults& defaults)
      : graph_(graph), defaults_(defaults), where_("graph '" + graph.name() + "': ") {}

  Plan build() {
    const std::size_t n = graph_.node_count();
    if (n == 0) throw GraphError(where_ + "the graph is empty");
    plan_.nodes.resize(n);
    plan_.edges.resize(graph_.edges().size());
    plan_.inputs.resize(n);
    plan_.outputs.resize(n);
    for (std::size_t e = 0; e < graph_.edges().size(); ++e) {
      plan_.outputs[graph_.edges()[e].from].push_back(e);
      plan_.inputs[graph_.edges()[e].to].push_back(e);
    }
    bool has_sink = false;
    for (NodeId id = 0; id < n; ++id) {
      resolve_node(id);
      check_node(id);
      has_sink = has_sink || graph_.node(id).kind() == NodeKind::sink;
    }
    if (!has_sink) throw GraphError(where_ + "the graph has no sink; results would go nowhere");
    order_nodes();
    for (std::size_t e = 0; e < graph_.edges().size(); ++e) resolve_edge(e);
    form_chains();
    compile_groups();
    return std::move(plan_);
  }

 private:
  void resolve_node(NodeId id) {
    const NodeSpec& node = graph_.node(id);
    const NodeOptions& o = node.options();
    const std::string what = where_ + node.describe();
    if (o.parallelism && *o.parallelism == 0)
      throw GraphError(what + ": parallelism must be at least 1");
    if (o.batch_size && *o.batch_size == 0)
      throw GraphError(what + ": batch size must be at least 1");
    if (o.channel_capacity && *o.channel_capacity == 0) {
      throw GraphError(what + ": channel capacity must be at least 1 batch");
    }
    const unsigned fallback = graph_.default_parallelism().value_or(defaults_.parallelism);
    if (fallback == 0) throw GraphError(where_ + "default parallelism must be at least 1");
    PlanNode& p = plan_.nodes[id];
    p.parallelism = o.parallelism.value_or(fallback);
    if (!o.parallelism && node.inherits_parallelism() && plan_.inputs[id].size() == 1) {
      // Nodes are added after their inputs, so the input's parallelism is settled.
      p.parallelism = plan_.nodes[graph_.edges()[plan_.inputs[id][0]].from].parallelism;
    }
    p.batch_size = o.batch_size.value_or(defaults_.batch_size);
    p.linger = o.linger.value_or(defaults_.linger);
    p.channel_capacity = o.channel_capacity.value_or(defaults_.channel_capacity);
    if (p.batch_size == 0 || p.channel_capacity == 0) {
      throw GraphError(where_ + "the run's batch size and channel capacity must be at least 1");
    }
    if (p.batch_size > kMaxBatchSize) {
      throw GraphError(what + ": batch size " + std::to_string(p.batch_size) + " is more than " +
                       std::to_string(kMaxBatchSize) + " items");
    }
  }

  void check_node(NodeId id) const {
    const NodeSpec& node = graph_.node(id);
    const ErrorPolicy& errors = node.options().errors;
    const std::string what = where_ + node.describe();
    if (node.kind() != NodeKind::source && plan_.inputs[id].empty()) {
      throw GraphError(what + " has no input");
    }
    if (node.kind() == NodeKind::source && errors.kind() != ErrorPolicy::Kind::stop) {
      throw GraphError(what + ": a source supports only the stop error policy");
    }
    const bool dead_letter_policy = errors.kind() == ErrorPolicy::Kind::dead_letter;
    if (dead_letter_policy && node.kind() != NodeKind::transform) {
      throw GraphError(what + ": the dead-letter error policy needs a transform (a " +
                       std::string(node.kind() == NodeKind::source ? "source" : "sink") +
                       " has no dead-letter stream); use stop, skip or retry");
    }
    std::vector<std::size_t> per_port(node.port_count(), 0);
    for (std::size_t e : plan_.outputs[id]) ++per_port[graph_.edges()[e].port];
    if (node.kind() != NodeKind::sink && per_port.at(kMainPort) == 0) {
      throw GraphError(what +
                       ": its output stream is not consumed by any node; end it in a sink "
                       "(e.g. .sink(\"out\", sw::discard()))");
    }
    if (node.port_count() <= kDeadLetterPort) return;
    if (dead_letter_policy && per_port[kDeadLetterPort] == 0) {
      throw GraphError(what +
                       ": error policy is dead-letter but nothing consumes its "
                       "dead_letters() stream");
    }
    if (!dead_letter_policy && per_port[kDeadLetterPort] > 0) {
      throw GraphError(what + ": its dead_letters() stream is consumed but its error policy is " +
                       errors.to_string() + "; set .on_error(sw::ErrorPolicy::dead_letter())");
    }
  }

  // Topological order (Kahn); whatever is left is on or behind a cycle.
  void order_nodes() {
    const std::size_t n = graph_.node_count();
    std::vector<std::size_t> pending(n);
    std::vector<NodeId> ready;
    for (NodeId id = 0; id < n; ++id) {
      pending[id] = plan_.inputs[id].size();
      if (pending[id] == 0) ready.push_back(id);
    }
    while (!ready.empty()) {
      const NodeId id = ready.back();
      ready.pop_back();
      plan_.order.push_back(id);
      for (std::size_t e : plan_.outputs[id]) {
        if (--pending[graph_.edges()[e].to] == 0) ready.push_back(graph_.edges()[e].to);
      }
    }
    for (NodeId id = 0; id < n && plan_.order.size() != n; ++id) {
      if (pending[id] != 0) {
        throw GraphError(where_ + "a cycle runs through " + graph_.node(id).describe());
      }
    }
  }

  void resolve_edge(std::size_t e) {
    const EdgeSpec& edge = graph_.edges()[e];
    const PlanNode& from = plan_.nodes[edge.from];
    const PlanNode& to = plan_.nodes[edge.to];
    PlanEdge& p = plan_.edges[e];
    p.partitioning = edge.partitioning;
    if (p.partitioning == Partitioning::forward && from.parallelism != to.parallelism) {
      p.partitioning = Partitioning::rebalance;
    }
    // Every key goes to the one consumer: whole batches go as they are, not scattered.
    if (p.partitioning == Partitioning::hash && to.parallelism == 1) {
      p.partitioning = Partitioning::rebalance;
    }
    p.one_to_one =
        p.partitioning == Partitioning::forward || (from.parallelism == 1 && to.parallelism == 1);
    std::size_t port_edges = 0;
    for (std::size_t other : plan_.outputs[edge.from]) {
      port_edges += graph_.edges()[other].port == edge.port;
    }
    p.fused = p.one_to_one && from.parallelism == to.parallelism && port_edges == 1 &&
              graph_.node(edge.from).options().chain && graph_.node(edge.to).options().chain &&
              plan_.inputs[edge.to].size() == 1 && !graph_.node(edge.to).accepts_many_inputs();
  }

  // A node joins the chain of its producer when its only input edge is fused.
  void form_chains() {
    std::vector<std::size_t> chain_of(graph_.node_count(), 0);
    for (NodeId id : plan_.order) {
      const auto& in = plan_.inputs[id];
      if (in.size() == 1 && plan_.edges[in[0]].fused) {
        chain_of[id] = chain_of[graph_.edges()[in[0]].from];
        plan_.chains[chain_of[id]].push_back(id);
      } else {
        chain_of[id] = plan_.chains.size();
        plan_.chains.push_back({id});
      }
      plan_.nodes[id].chain = chain_of[id];
    }
  }

  // Within each chain, from its end: the longest run of nodes that the last one's compiler
  // covers and that may run as one loop (a fan-out, a parallelism change, retry or dead
  // letters before it cut the run short).
  void compile_groups() {
    for (const auto& chain : plan_.chains) {
      for (std::size_t end = chain.size(); end-- > 0;) {
        const ChainCompiler* compiler = graph_.node(chain[end]).compiler();
        if (compiler == nullptr) continue;
        const auto& offered = compiler->nodes();
        std::vector<NodeId> nodes;
        for (std::size_t start = 0; start + 1 < offered.size() && nodes.empty(); ++start) {
          std::vector<NodeId> run(offered.begin() + static_cast<std::ptrdiff_t>(start),
                                  offered.end());
          if (compilable(chain, end, run)) nodes = std::move(run);
        }
        if (nodes.empty()) continue;
        const std::size_t group = plan_.compiled.size();
        plan_.compiled.push_back(nodes);
        for (std::size_t k = 0; k < nodes.size(); ++k) {
          plan_.nodes[nodes[k]].compiled = group;
          if (k > 0) plan_.edges[plan_.inputs[nodes[k]][0]].compiled = true;
        }
        end -= nodes.size() - 1;
      }
    }
  }

  // `nodes` end at chain[end], come one after another in the chain, each fed by the one before
  // through a fused edge that is its only input and that one's only output, and all of them
  // run under the stop or skip policy (retry and dead letters need the item after it failed,
  // which a compiled run has moved on: those nodes keep their own instance).
  [[nodiscard]] bool compilable(const std::vector<NodeId>& chain, std::size_t end,
                                const std::vector<NodeId>& nodes) const {
    if (nodes.size() < 2 || nodes.size() > end + 1) return false;
    const std::size_t begin = end + 1 - nodes.size();
    for (std::size_t k = 0; k < nodes.size(); ++k) {
      const NodeId id = nodes[k];
      if (chain[begin + k] != id || plan_.nodes[id].compiled != PlanNode::kNotCompiled) {
        return false;
      }
      const ErrorPolicy::Kind policy = graph_.node(id).options().errors.kind();
      if (policy != ErrorPolicy::Kind::stop && policy != ErrorPolicy::Kind::skip) return false;
      if (k == 0) continue;
      const auto& in = plan_.inputs[id];
      if (in.size() != 1 || !plan_.edges[in[0]].fused) return false;
      const EdgeSpec& edge = graph_.edges()[in[0]];
      if (edge.from != nodes[k - 1] || edge.port != kMainPort) return false;
      if (plan_.outputs[nodes[k - 1]].size() != 1) return false;
    }
    return true;
  }

  const Graph& graph_;
  const PlanDefaults& defaults_;
  const std::string where_;
  Plan plan_;
};

std::string dot_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

Plan make_plan(const Graph& graph, const PlanDefaults& defaults) {
  return PlanBuilder(graph, defaults).build();
}

std::string plan_dot(const Graph& graph, const Plan& plan, const DotNotes& notes) {
  std::ostringstream out;
  out << "digraph \"" << dot_escape(graph.name()) << "\" {\n"
      << "  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
      << "  edge [fontname=\"Helvetica\", fontsize=10];\n";
  for (std::size_t c = 0; c < plan.chains.size(); ++c) {
    const auto& chain = plan.chains[c];
    out << "  subgraph cluster_chain" << c << " {\n    label=\"task " << c << " ×"
        << plan.nodes[chain.front()].parallelism << "\";\n    style=dashed;\n";
    for (NodeId id : chain) {
      const NodeSpec& node = graph.node(id);
      const std::string note = notes.node_note ? notes.node_note(id) : "";
      out << "    n" << id << " [label=\"" << dot_escape(node.name()) << "\\n"
          << dot_escape(node.op()) << " ×" << plan.nodes[id].parallelism
          << (note.empty() ? "" : "\\n" + dot_escape(note)) << "\"";
      if (node.kind() == NodeKind::source) out << ", shape=invhouse";
      if (node.kind() == NodeKind::sink) out << ", shape=house";
      out << "];\n";
    }
    out << "  }\n";
  }
  for (std::size_t e = 0; e < graph.edges().size(); ++e) {
    const EdgeSpec& edge = graph.edges()[e];
    const bool dashed = notes.edge_dashed && notes.edge_dashed(e);
    const bool dead_letters = edge.port == kDeadLetterPort;
    out << "  n" << edge.from << " -> n" << edge.to << " [label=\""
        << to_string(plan.edges[e].partitioning)
        << (plan.edges[e].compiled ? " (compiled)"
            : plan.edges[e].fused  ? " (fused)"
                                   : "")
        << (notes.edge_note ? dot_escape(notes.edge_note(e)) : "")
        << (dead_letters ? "\\ndead letters" : "") << "\"";
    if (plan.edges[e].fused) out << ", style=bold";
    if (dashed) out << ", style=dashed";
    if (dead_letters) out << ", color=red";
    out << "];\n";
  }
  out << "}\n";
  return out.str();
}

}  // namespace sw
