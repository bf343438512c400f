#include "streamweave/runtime/in_process.hpp"

#include <algorithm>

#include "run_context.hpp"
#include "streamweave/engine/errors.hpp"
#include "streamweave/engine/plan.hpp"

namespace sw {

RunReport Graph::run(const RunOptions& options) const {
  return run_in_process(*this, options);
}

namespace runtime {
namespace {

struct Built {
  Plan plan;
  unsigned threads = 1;
  // metrics[node][instance]
  std::vector<std::vector<InstanceMetrics>> metrics;
  // tasks_of[chain][instance]
  std::vector<std::vector<Task*>> tasks_of;
};

// Creates every task, instance, channel, pool and collector, wired, before anything runs.
void build(const Graph& graph, const RunOptions& options, RunContext& run, Built& b) {
  const Plan& plan = b.plan;
  const auto& edges = graph.edges();
  const std::size_t nodes = graph.node_count();
  b.metrics.resize(nodes);
  for (NodeId id = 0; id < nodes; ++id) b.metrics[id].resize(plan.nodes[id].parallelism);

  // Tasks, their operator instances and their input channels.
  std::vector<std::vector<OperatorInstance*>> instance_of(nodes);  // [node][instance]
  b.tasks_of.resize(plan.chains.size());
  for (std::size_t c = 0; c < plan.chains.size(); ++c) {
    const auto& chain = plan.chains[c];
    const PlanNode& head = plan.nodes[chain.front()];
    for (unsigned i = 0; i < head.parallelism; ++i) {
      auto task = std::make_unique<Task>(run, c, i);
      for (NodeId id : chain) {
        InstanceContext ctx{&graph.node(id).name(),     i,
                            plan.nodes[id].parallelism, graph.node(id).options().errors,
                            &b.metrics[id][i],          &run};
        task->ops.push_back(graph.node(id).instantiate(ctx));
        instance_of[id].resize(plan.nodes[id].parallelism);
        instance_of[id][i] = task->ops.back().get();
      }
      OperatorInstance& first = *task->ops.front();
      if (graph.node(chain.front()).kind() == NodeKind::source) {
        task->source = &first;
      } else {
        task->head_input = first.input();
        task->input = std::make_unique<Channel>(head.channel_capacity, *task);
      }
      task->head_metrics = &b.metrics[chain.front()][i];
      task->batch_size = head.batch_size;
      task->budget = std::max<std::size_t>(1, options.step_budget);
      b.tasks_of[c].push_back(task.get());
      run.tasks.push_back(std::move(task));
    }
  }

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
      if (port_edges.size() == 1 && plan.edges[port_edges[0]].fused) {
        const NodeId to = edges[port_edges[0]].to;
        for (unsigned i = 0; i < pn.parallelism; ++i) {
          instance_of[id][i]->bind_output(port, *instance_of[to][i]->input());
        }
        continue;
      }
      for (unsigned i = 0; i < pn.parallelism; ++i) {
        Task& task = *b.tasks_of[pn.chain][i];
        BatchPoolBase& pool =
            run.adopt(node.port(port).make_pool(run.buffer_pool()));  // one owner: this task
        std::vector<EdgeBinding> bindings;
        for (std::size_t e : port_edges) {
          const EdgeSpec& edge = edges[e];
          std::vector<Channel*> targets;
          for (Task* consumer : b.tasks_of[plan.nodes[edge.to].chain]) {
            targets.push_back(consumer->input.get());
            if (std::find(task.outputs.begin(), task.outputs.end(), consumer->input.get()) ==
                task.outputs.end()) {
              task.outputs.push_back(consumer->input.get());
              consumer->input->add_producer(task);
            }
          }
          if (plan.edges[e].partitioning == Partitioning::forward) {
            b.tasks_of[plan.nodes[edge.to].chain][i]->ends_expected += 1;
          } else {
            for (Task* consumer : b.tasks_of[plan.nodes[edge.to].chain])
              consumer->ends_expected += 1;
          }
          task.senders.push_back(std::make_unique<ChannelSender>(std::move(targets)));
          bindings.push_back(EdgeBinding{plan.edges[e].partitioning, task.senders.back().get(),
                                         edge.router.get()});
        }
        task.collectors.push_back(node.port(port).make_collector(
            pool, CollectorConfig{pn.batch_size, i, &b.metrics[id][i]}, std::move(bindings)));
        task.collector_linger.push_back(pn.linger);
        instance_of[id][i]->bind_output(port, task.collectors.back()->input());
      }
    }
  }
}

RunReport report(const Graph& graph, const Built& b, const RunContext& run, bool cancelled,
                 double wall_seconds) {
  RunReport r;
  r.graph = graph.name();
  r.status = cancelled ? RunReport::Status::cancelled : RunReport::Status::completed;
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
      n.items_in += m.items_in;
      n.items_out += m.items_out;
      n.batches_in += m.batches_in;
      n.batches_out += m.batches_out;
      n.errors_skipped += m.errors_skipped;
      n.retries += m.retries;
      n.dead_lettered += m.dead_lettered;
    }
    for (const Task* task : b.tasks_of[n.chain]) {
      n.busy_seconds += static_cast<double>(task->busy_ns()) * 1e-9;
      n.blocked_seconds += static_cast<double>(task->blocked_ns()) * 1e-9;
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
  r.events_per_second = wall_seconds > 0 ? static_cast<double>(r.events) / wall_seconds : 0.0;
  return r;
}

}  // namespace
}  // namespace runtime

RunReport run_in_process(const Graph& graph, const RunOptions& options) {
  runtime::Built built;
  built.plan = make_plan(graph, options);
  built.threads = resolved_threads(options);
  runtime::RunContext run(built.threads, options);
  runtime::build(graph, options, run, built);

  const Clock::time_point started = Clock::now();
  for (auto& task : run.tasks) task->wake();
  const bool cancelled = run.wait(options, started);
  const double wall = std::chrono::duration<double>(Clock::now() - started).count();

  if (std::exception_ptr error = run.error()) std::rethrow_exception(error);
  return runtime::report(graph, built, run, cancelled, wall);
}

}  // namespace sw
