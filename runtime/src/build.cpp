#include "build.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "channel_exchange.hpp"
#include "streamweave/engine/chain.hpp"
#include "streamweave/engine/errors.hpp"

namespace sw::runtime {

Plan plan_run(const Graph& graph, const RunOptions& options, unsigned ranks) {
  if (options.threads > kMaxThreads) {
    throw GraphError("graph '" + graph.name() + "': RunOptions threads is " +
                     std::to_string(options.threads) + "; at most " + std::to_string(kMaxThreads));
  }
  return make_plan(graph, plan_defaults(options, resolved_threads(options) * ranks));
}

namespace {

InstanceContext context_of(const Graph& graph, const RunOptions& options, Built& b, NodeId id,
                           unsigned i, RunContext& run) {
  const Plan& plan = b.plan;
  InstanceContext ctx{&graph.node(id).name(),
                      i,
                      plan.nodes[id].parallelism,
                      graph.node(id).options().errors,
                      &b.metrics[id][i],
                      &run,
                      &b.errors_skipped[id],
                      plan.nodes[id].batch_size,
                      options.checkpoints.enabled(),
                      {},
                      0};
  if (ctx.checkpointed) {
    ctx.log_dir = (options.checkpoints.directory / "wal" / fmt::format("n{}-i{}", id, i)).string();
    ctx.checkpoints_kept = options.checkpoints.retained;
  }
  return ctx;
}

// Instance i of node `id`: its own, or for a node of a compiled group, the group's instance
// (the group's first node) or a part of it (the others).
std::unique_ptr<OperatorInstance> instantiate(const Graph& graph, const RunOptions& options,
                                              Built& b, NodeId id, unsigned i, RunContext& run,
                                              CompiledChainBase*& group) {
  const Plan& plan = b.plan;
  const std::size_t compiled = plan.nodes[id].compiled;
  if (compiled == PlanNode::kNotCompiled) {
    return graph.node(id).instantiate(context_of(graph, options, b, id, i, run));
  }
  const std::vector<NodeId>& members = plan.compiled[compiled];
  if (id != members.front()) {
    const auto k =
        static_cast<std::size_t>(std::find(members.begin(), members.end(), id) - members.begin());
    return group->part(k);
  }
  std::vector<InstanceContext> contexts;
  for (NodeId member : members) contexts.push_back(context_of(graph, options, b, member, i, run));
  const ChainCompiler& compiler = *graph.node(members.back()).compiler();
  std::unique_ptr<CompiledChainBase> made =
      compiler.instantiate(contexts, compiler.nodes().size() - members.size());
  group = made.get();
  return made;
}

void make_tasks(const Graph& graph, const RunOptions& options, RunContext& run, Built& b,
                std::vector<std::vector<OperatorInstance*>>& instance_of) {
  const Plan& plan = b.plan;
  b.tasks_of.resize(plan.chains.size());
  for (std::size_t c = 0; c < plan.chains.size(); ++c) {
    const auto& chain = plan.chains[c];
    const PlanNode& head = plan.nodes[chain.front()];
    b.tasks_of[c].assign(head.parallelism, nullptr);
    for (NodeId id : chain) instance_of[id].assign(plan.nodes[id].parallelism, nullptr);
    for (unsigned i = 0; i < head.parallelism; ++i) {
      if (!b.local(i)) continue;
      auto task = std::make_unique<Task>(run, c, i);
      task->index = run.tasks.size();
      CompiledChainBase* group = nullptr;
      for (NodeId id : chain) {
        task->op_nodes.push_back(id);
        task->ops.push_back(instantiate(graph, options, b, id, i, run, group));
        instance_of[id][i] = task->ops.back().get();
      }
      OperatorInstance& first = *task->ops.front();
      if (graph.node(chain.front()).kind() == NodeKind::source) {
        task->source = &first;
      } else {
        task->head_input = first.input();
      }
      task->head_metrics = &b.metrics[chain.front()][i];
      if (task->source != nullptr && options.source_rate > 0) {
        task->max_rate = options.source_rate / plan.nodes[chain.front()].parallelism;
      }
      task->batch_size = head.batch_size;
      task->budget = std::max<std::size_t>(1, options.step_budget);
      task->idle_timeout = options.idle_timeout;
      b.tasks_of[c][i] = task.get();
      run.tasks.push_back(std::move(task));
    }
  }
}

// A consumer instance hears end-of-stream (and watermarks) once from its forward producer,
// or once from every producer instance of any other edge: each such producer is one input
// slot. Every instance of a chain has the same slots.
void assign_slots(const Graph& graph, Built& b) {
  const Plan& plan = b.plan;
  std::vector<std::uint32_t> slots_of_chain(plan.chains.size(), 0);
  b.slot_base.assign(graph.edges().size(), 0);
  for (std::size_t e = 0; e < graph.edges().size(); ++e) {
    if (plan.edges[e].fused) continue;
    const EdgeSpec& edge = graph.edges()[e];
    const std::size_t chain = plan.nodes[edge.to].chain;
    const std::uint32_t producers =
        plan.edges[e].partitioning == Partitioning::forward ? 1 : plan.nodes[edge.from].parallelism;
    b.slot_base[e] = slots_of_chain[chain];
    slots_of_chain[chain] += producers;
  }
  std::vector<std::vector<InputSlot>> inputs_of_chain(plan.chains.size());
  for (std::size_t e = 0; e < graph.edges().size(); ++e) {
    if (plan.edges[e].fused) continue;
    const EdgeSpec& edge = graph.edges()[e];
    std::vector<InputSlot>& inputs = inputs_of_chain[plan.nodes[edge.to].chain];
    inputs.resize(slots_of_chain[plan.nodes[edge.to].chain]);
    const BatchCodec* codec = graph.node(edge.from).port(edge.port).codec();
    const std::uint32_t producers =
        plan.edges[e].partitioning == Partitioning::forward ? 1 : plan.nodes[edge.from].parallelism;
    for (std::uint32_t p = 0; p < producers; ++p) {
      inputs[b.slot_base[e] + p] = InputSlot{static_cast<std::uint32_t>(e), p, codec};
    }
  }
  for (std::size_t c = 0; c < plan.chains.size(); ++c) {
    for (Task* consumer : b.tasks_of[c]) {
      if (consumer == nullptr) continue;
      consumer->set_input_slots(slots_of_chain[c]);
      consumer->input_slots = inputs_of_chain[c];
    }
  }
}

}  // namespace

void build(const Graph& graph, const RunOptions& options, RunContext& run, Built& b,
           Exchange* frames) {
  const Plan& plan = b.plan;
  const auto& edges = graph.edges();
  const std::size_t nodes = graph.node_count();
  b.metrics.resize(nodes);
  b.errors_skipped = std::make_unique<std::atomic<std::uint64_t>[]>(nodes);
  for (NodeId id = 0; id < nodes; ++id) b.metrics[id].resize(plan.nodes[id].parallelism);

  std::vector<std::vector<OperatorInstance*>> instance_of(nodes);  // [node][instance]
  make_tasks(graph, options, run, b, instance_of);
  assign_slots(graph, b);
  ChannelExchange channels;
  channels.add_receivers(graph, b);
  if (frames != nullptr) frames->add_receivers(graph, b);

  // Outputs: fused edges bind instance to instance; the others go through a collector.
  for (NodeId id = 0; id < nodes; ++id) {
    const NodeSpec& node = graph.node(id);
    const PlanNode& pn = plan.nodes[id];
    for (std::size_t port = 0; port < node.port_count(); ++port) {
      std::vector<std::size_t> port_edges;
      for (std::size_t e : plan.outputs[id]) {
        if (edges[e].port == port) port_edges.push_back(e);
      }
      if (port_edges.empty()) continue;
      if (port_edges.size() == 1 && plan.edges[port_edges[0]].compiled) continue;
      if (port_edges.size() == 1 && plan.edges[port_edges[0]].fused) {
        const NodeId to = edges[port_edges[0]].to;
        for (unsigned i = 0; i < pn.parallelism; ++i) {
          if (b.local(i)) instance_of[id][i]->bind_output(port, *instance_of[to][i]->input());
        }
        continue;
      }
      for (unsigned i = 0; i < pn.parallelism; ++i) {
        if (!b.local(i)) continue;
        Task& task = *b.tasks_of[pn.chain][i];
        BatchPoolBase& pool =
            run.adopt(node.port(port).make_pool(run.buffer_pool()));  // one owner: this task
        std::vector<EdgeBinding> bindings;
        for (std::size_t e : port_edges) {
          Exchange& exchange = frames != nullptr && b.exchange[e] ? *frames : channels;
          task.senders.push_back(exchange.make_sender(graph, b, e, task, i));
          bindings.push_back(EdgeBinding{plan.edges[e].partitioning, task.senders.back().get(),
                                         edges[e].router.get()});
        }
        task.collectors.push_back(node.port(port).make_collector(
            pool, CollectorConfig{pn.batch_size, i, &b.metrics[id][i]}, std::move(bindings)));
        task.collector_linger.push_back(pn.linger);
        instance_of[id][i]->bind_output(port, task.collectors.back()->input());
      }
    }
  }
}

bool open_instances(RunContext& run) {
  try {
    for (const auto& task : run.tasks) {
      for (const std::unique_ptr<OperatorInstance>& op : task->ops) op->open();
    }
    return true;
  } catch (...) {
    run.fail(std::current_exception());
    return false;
  }
}

RunReport local_report(const Graph& graph, const Built& b, const RunContext& run, bool cancelled,
                       double wall_seconds) {
  RunReport r;
  r.graph = graph.name();
  r.status = cancelled ? RunReport::Status::cancelled : RunReport::Status::completed;
  r.mode = b.placement.distributed ? to_string(Mode::distributed) : to_string(Mode::in_process);
  r.rank = b.placement.rank;
  r.ranks = b.placement.ranks;
  r.threads = b.threads;
  r.tasks = run.tasks.size();
  r.wall_seconds = wall_seconds;
  for (NodeId id = 0; id < graph.node_count(); ++id) {
    NodeReport n;
    n.name = graph.node(id).name();
    n.op = graph.node(id).op();
    n.parallelism = b.plan.nodes[id].parallelism;
    n.chain = b.plan.nodes[id].chain;
    for (const InstanceMetrics& m : b.metrics[id]) {
      static_cast<NodeCounters&>(n) += m;
      n.latency.merge(m.latency);
      n.first_errors.insert(n.first_errors.end(), m.first_errors.begin(), m.first_errors.end());
    }
    for (const Task* task : b.tasks_of[n.chain]) {
      if (task == nullptr) continue;
      n.busy_seconds += static_cast<double>(task->busy_ns()) * 1e-9;
      n.blocked_seconds += static_cast<double>(task->blocked_ns()) * 1e-9;
    }
    if (b.placement.distributed) {
      for (unsigned i = 0; i < n.parallelism; ++i) n.ranks.push_back(b.placement.rank_of(i));
    }
    if (graph.node(id).kind() == NodeKind::source) r.events += n.items_out;
    r.nodes.push_back(std::move(n));
  }
  for (const auto& pool : run.pools) {
    const BatchPoolStats stats = pool->stats();
    r.batches_acquired += stats.acquired;
    r.batches_created += stats.created;
  }
  r.buffer_pool = run.buffer_pool().stats().since(run.buffer_pool_at_start());
  r.memory_pressure = run.memory().worst();
  r.peak_rss_bytes = run.memory().peak_rss_bytes();
  r.source_throttles = run.source_throttles();
  r.source_pauses = run.source_pauses();
  r.events_per_second = wall_seconds > 0 ? static_cast<double>(r.events) / wall_seconds : 0.0;
  return r;
}

}  // namespace sw::runtime
