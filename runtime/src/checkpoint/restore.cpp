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

// Each frame of one in-flight file, in order, decoded: fn(edge, producer instance, batch).
// Every frame's edge must lead into `node`, the file's.
template <class Fn>
void for_each_frame(const Graph& graph, RunContext& run, NodeId node, const Bytes& frames,
                    const std::filesystem::path& path, Fn fn) {
  std::map<std::uint32_t, BatchPoolBase*> pools;  // per edge; the run owns them
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
      if (e >= edges.size() || edges[e].to != node) {
        throw corrupt(
            8, fmt::format("edge {} does not lead into node '{}'", e, graph.node(node).name()));
      }
      const PortSpec& port = graph.node(edges[e].from).port(edges[e].port);
      if (port.codec() == nullptr) throw corrupt(8, fmt::format("edge {} has no codec", e));
      BatchPoolBase*& pool = pools[e];
      if (pool == nullptr) pool = &run.adopt(port.make_pool(run.buffer_pool()));
      fn(e, frame.header.source_instance, port.codec()->decode(frame, *pool));
    } catch (const CorruptFile&) {
      throw;
    } catch (const DecodeError& error) {
      throw corrupt(error.offset(), error.what());
    }
    at += size;
  }
}

// The consumer's input slot of producer instance `source` on edge `e`.
std::uint32_t slot_of(const Graph& graph, const Built& built, std::uint32_t e,
                      std::uint32_t source) {
  const bool forward = built.plan.edges[e].partitioning == Partitioning::forward;
  const std::uint32_t producers = forward ? 1 : built.plan.nodes[graph.edges()[e].from].parallelism;
  return built.slot_base[e] + std::min(source, producers - 1);
}

// Keeps what a collector sends, per consumer instance: how a batch of a hash edge is split
// by key for another parallelism, with the code that routes it at run time.
class SplitSender final : public BatchSender {
 public:
  explicit SplitSender(std::size_t targets) : batches_(targets) {}
  [[nodiscard]] std::size_t targets() const noexcept override { return batches_.size(); }
  void send(std::size_t target, BatchRef batch) override {
    batches_[target].push_back(std::move(batch));
  }
  void send_end(std::size_t /*target*/) override {}
  void send_watermark(std::size_t /*target*/, EventTime /*time*/) override {}
  void send_barrier(std::size_t /*target*/, std::uint64_t /*checkpoint*/) override {}
  std::vector<std::vector<BatchRef>>& batches() noexcept { return batches_; }

 private:
  std::vector<std::vector<BatchRef>> batches_;
};

// Where a saved batch of `node` goes in instance `instance`'s task: the task's input when the
// node heads its chain, otherwise straight into the node's operator (the layout fused it
// behind its producer since the checkpoint). Nothing for another rank's instance.
void deliver(const Graph& graph, const Built& built, NodeId node, unsigned instance,
             std::uint32_t edge, std::uint32_t source, BatchRef batch) {
  if (!built.local(instance)) return;
  Task& task = *built.tasks_of[built.plan.nodes[node].chain][instance];
  const auto op = std::find(task.op_nodes.begin(), task.op_nodes.end(), node);
  if (op == task.op_nodes.begin()) {
    task.replay_first(Event{std::move(batch), slot_of(graph, built, edge, source)});
  } else {
    task.replay_into(static_cast<std::size_t>(op - task.op_nodes.begin()), std::move(batch));
  }
}

// The batches of one in-flight file of a node whose parallelism changed, to the instances
// that own them now: on a hash edge by key (the key groups the instance restored), on any
// other the saved instance's index modulo the parallelism (those consumers hold no keyed
// state of that input). Each rank takes what goes to its own instances.
void replay_rescaled(const Graph& graph, const Built& built, RunContext& run, NodeId node,
                     const StateFileEntry& entry, const Bytes& frames,
                     const std::filesystem::path& path) {
  const unsigned parallelism = built.plan.nodes[node].parallelism;
  const unsigned kept = entry.instance % parallelism;
  std::map<std::uint32_t, BatchPoolBase*> pools;  // per hash edge: the split batches'
  InstanceMetrics uncounted;  // the batches were counted when they were first sent
  for_each_frame(
      graph, run, node, frames, path, [&](std::uint32_t e, std::uint32_t source, BatchRef batch) {
        const EdgeSpec& edge = graph.edges()[e];
        if (built.plan.edges[e].partitioning != Partitioning::hash) {
          deliver(graph, built, node, kept, e, source, std::move(batch));
          return;
        }
        const PortSpec& port = graph.node(edge.from).port(edge.port);
        SplitSender split(parallelism);
        BatchPoolBase*& pool = pools[e];
        if (pool == nullptr) pool = &run.adopt(port.make_pool(run.buffer_pool()));
        const std::unique_ptr<CollectorBase> collector = port.make_collector(
            *pool, CollectorConfig{std::max<std::size_t>(batch->size(), 1), 0, &uncounted},
            {EdgeBinding{Partitioning::hash, &split, edge.router.get()}});
        collector->input().push_batch(std::move(batch));
        collector->flush();
        for (unsigned k = 0; k < parallelism; ++k) {
          for (BatchRef& part : split.batches()[k]) {
            deliver(graph, built, node, k, e, source, std::move(part));
          }
        }
      });
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
    if (entry.instance >= entry.parallelism) {
      throw CorruptFile(path, FileKind::in_flight, 0,
                        fmt::format("instance {} of {}", entry.instance, entry.parallelism));
    }
    if (planned.parallelism == entry.parallelism) {
      for_each_frame(graph, run, node, checkpoint.payloads[f], path,
                     [&](std::uint32_t e, std::uint32_t source, BatchRef batch) {
                       deliver(graph, built, node, entry.instance, e, source, std::move(batch));
                     });
      continue;
    }
    for (std::size_t e = 0; e < graph.edges().size(); ++e) {
      if (graph.edges()[e].to == node &&
          built.plan.edges[e].partitioning == Partitioning::broadcast) {
        throw GraphError(fmt::format(
            "graph '{}': checkpoint {} passed node '{}' unaligned: it saved batches in flight "
            "on a broadcast input, which are not re-partitioned; restore it with parallelism {} "
            "there (not {}), or restore an aligned checkpoint (a savepoint, "
            "CheckpointOptions::savepoint_on_stop)",
            graph.name(), checkpoint.manifest.id, entry.node, entry.parallelism,
            planned.parallelism));
      }
    }
    replay_rescaled(graph, built, run, node, entry, checkpoint.payloads[f], path);
  }
}

}  // namespace sw::runtime
