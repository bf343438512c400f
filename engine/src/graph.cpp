#include "streamweave/engine/graph.hpp"

#include <algorithm>

#include "streamweave/engine/errors.hpp"
#include "streamweave/engine/plan.hpp"

namespace sw {
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
    throw GraphError("graph '" + name_ + "': " + from.describe() + " has no output port " +
                     std::to_string(edge.port));
  }
  if (to.kind() == NodeKind::source) {
    throw GraphError("graph '" + name_ + "': " + to.describe() + " is a source and takes no input");
  }
  if (from.port(edge.port).item_type() != to.input_type()) {
    throw GraphError("graph '" + name_ + "': " + from.describe() + " emits " +
                     from.port(edge.port).item_type().name() + " but " + to.describe() + " takes " +
                     to.input_type().name());
  }
  if (edge.partitioning == Partitioning::hash && !edge.router) {
    throw GraphError("graph '" + name_ + "': hash edge into " + to.describe() + " has no key");
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
  (void)make_plan(*this, PlanDefaults{});
}

}  // namespace sw
