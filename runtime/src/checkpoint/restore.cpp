#include "restore.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "../graph_fingerprint.hpp"
#include "streamweave/engine/errors.hpp"
#include "streamweave/serde/checked_file.hpp"

namespace sw::runtime {

RestorePoint choose_restore_point(const CheckpointStore& store, const CheckpointOptions& options) {
  if (options.fresh && options.restore_id) {
    throw GraphError("CheckpointOptions: restore_id and fresh exclude each other");
  }
  RestorePoint point;
  const std::vector<std::uint64_t> ids = store.ids();
  point.next_id = ids.empty() ? 1 : ids.back() + 1;
  if (options.fresh) return point;
  if (options.restore_id) {
    point.checkpoint = store.load(*options.restore_id);
    return point;
  }
  point.checkpoint = store.latest(point.skipped);
  return point;
}

void check_checkpointable(const Graph& graph, const RunContext& run) {
  for (const auto& task : run.tasks) {
    for (std::size_t k = 0; k < task->ops.size(); ++k) {
      const Checkpointing kind = task->ops[k]->checkpointing();
      if (kind == Checkpointing::stateless || kind == Checkpointing::saves_state) continue;
      const NodeSpec& node = graph.node(task->op_nodes[k]);
      throw GraphError(fmt::format(
          "graph '{}': node '{}' ({}) keeps state that checkpoints cannot save ({}); run the "
          "graph without checkpoints",
          graph.name(), node.name(), node.op(),
          kind == Checkpointing::cannot_save
              ? "its types have no binary codec: see serde/binary.hpp, or make them codable"
              : "this operator does not take part in checkpoints yet"));
    }
  }
}

namespace {

// The saved states of node `name` that instance `instance` of `parallelism` restores from:
// its own when the node kept its parallelism, else every instance's.
std::vector<SavedState> states_for(const LoadedCheckpoint& checkpoint, const std::string& name,
                                   unsigned instance, unsigned parallelism) {
  std::vector<SavedState> saved;
  const auto& files = checkpoint.manifest.files;
  for (std::size_t f = 0; f < files.size(); ++f) {
    const StateFileEntry& e = files[f];
    if (e.node != name) continue;
    if (e.parallelism == parallelism && e.instance != instance) continue;
    saved.push_back(SavedState{e.instance, e.parallelism, checkpoint.payloads[f],
                               (checkpoint.dir / e.file).string(), kCheckedFileHeaderBytes});
  }
  return saved;
}

}  // namespace

void restore_instances(const Graph& graph, const Built& built, RunContext& run,
                       const LoadedCheckpoint& checkpoint) {
  const CheckpointManifest& m = checkpoint.manifest;
  if (m.graph_fingerprint != graph_shape_fingerprint(graph) || m.key_groups != kKeyGroups) {
    throw GraphError(fmt::format(
        "graph '{}': checkpoint {} was taken of another graph ('{}', or other nodes, operators, "
        "item types or edges); restore it with the graph that wrote it, or start afresh",
        graph.name(), m.id, m.graph));
  }
  for (const auto& task : run.tasks) {
    for (std::size_t k = 0; k < task->ops.size(); ++k) {
      const NodeId node = task->op_nodes[k];
      const unsigned parallelism = built.plan.nodes[node].parallelism;
      std::vector<SavedState> saved =
          states_for(checkpoint, graph.node(node).name(), task->instance(), parallelism);
      if (saved.empty()) continue;
      StateReader reader(std::move(saved), task->instance(), parallelism);
      task->ops[k]->restore(reader);
    }
  }
}

}  // namespace sw::runtime
