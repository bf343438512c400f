#include "restore.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "../graph_fingerprint.hpp"
#include "streamweave/engine/errors.hpp"
#include "streamweave/serde/checked_file.hpp"
#include "streamweave/serde/frame.hpp"

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
    if (e.node != name || e.kind != StateFileKind::operator_state) continue;
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

namespace {

NodeId node_named(const Graph& graph, const std::string& name, const std::filesystem::path& path) {
  for (NodeId id = 0; id < graph.node_count(); ++id) {
    if (graph.node(id).name() == name) return id;
  }
  throw CorruptFile(path, FileKind::in_flight, 0, "names node '" + name + "', not in the graph");
}

// The frames of one in-flight file, in order, into `task`'s input.
void replay_frames(const Graph& graph, const Built& built, RunContext& run, Task& task,
                   const Bytes& frames, const std::filesystem::path& path) {
  std::map<std::uint32_t, BatchPoolBase*> pools;  // per edge; the task owns them
  std::size_t at = 0;
  auto corrupt = [&](std::size_t offset, const std::string& message) {
    return CorruptFile(path, FileKind::in_flight, kCheckedFileHeaderBytes + at + offset, message);
  };
  while (at < frames.size()) {
    if (frames.size() - at < kFrameHeaderBytes) throw corrupt(0, "a frame header cut short");
    std::uint32_t payload_bytes = 0;
    std::memcpy(&payload_bytes, frames.data() + at + 32, sizeof payload_bytes);
    const std::size_t size = kFrameHeaderBytes + std::size_t{payload_bytes};
    if (size > frames.size() - at) throw corrupt(32, "a frame longer than the file");
    try {
      const Frame frame = parse_frame(frames.slice(at, at + size));
      const std::uint32_t e = frame.header.edge;
      const auto& edges = graph.edges();
      if (e >= edges.size() || built.plan.edges[e].fused ||
          built.plan.nodes[edges[e].to].chain != task.chain()) {
        throw corrupt(8, fmt::format("edge {} does not lead into node '{}'", e,
                                     graph.node(task.op_nodes.front()).name()));
      }
      const PortSpec& port = graph.node(edges[e].from).port(edges[e].port);
      if (port.codec() == nullptr) throw corrupt(8, fmt::format("edge {} has no codec", e));
      BatchPoolBase*& pool = pools[e];
      if (pool == nullptr) pool = &run.adopt(port.make_pool(run.buffer_pool()));
      const bool forward = built.plan.edges[e].partitioning == Partitioning::forward;
      const std::uint32_t producers = forward ? 1 : built.plan.nodes[edges[e].from].parallelism;
      const std::uint32_t slot =
          built.slot_base[e] + std::min(frame.header.source_instance, producers - 1);
      task.replay_first(Event{port.codec()->decode(frame, *pool), slot});
    } catch (const CorruptFile&) {
      throw;
    } catch (const DecodeError& error) {
      throw corrupt(error.offset(), error.what());
    }
    at += size;
  }
}

}  // namespace

void restore_in_flight(const Graph& graph, const Built& built, RunContext& run,
                       const LoadedCheckpoint& checkpoint) {
  const auto& files = checkpoint.manifest.files;
  for (std::size_t f = 0; f < files.size(); ++f) {
    const StateFileEntry& entry = files[f];
    if (entry.kind != StateFileKind::in_flight) continue;
    const std::filesystem::path path = checkpoint.dir / entry.file;
    const NodeId node = node_named(graph, entry.node, path);
    const PlanNode& planned = built.plan.nodes[node];
    if (planned.parallelism != entry.parallelism) {
      throw GraphError(fmt::format(
          "graph '{}': checkpoint {} passed node '{}' unaligned: it saved batches in flight to "
          "its {} instances, which are not re-partitioned; restore it with parallelism {} "
          "there (not {}), or restore an aligned checkpoint (a savepoint, "
          "CheckpointOptions::savepoint_on_stop)",
          graph.name(), checkpoint.manifest.id, entry.node, entry.parallelism, entry.parallelism,
          planned.parallelism));
    }
    if (entry.instance >= planned.parallelism) {
      throw CorruptFile(path, FileKind::in_flight, 0,
                        fmt::format("instance {} of {}", entry.instance, planned.parallelism));
    }
    if (!built.local(entry.instance)) continue;
    Task* task = built.tasks_of[planned.chain][entry.instance];
    if (task == nullptr || task->op_nodes.front() != node) {
      throw CorruptFile(path, FileKind::in_flight, 0,
                        "node '" + entry.node + "' takes no input of its own");
    }
    replay_frames(graph, built, run, *task, checkpoint.payloads[f], path);
  }
}

}  // namespace sw::runtime
