// Internal: turns a Plan into the tasks, channels, collectors and senders of one run — all of
// them in process, or this rank's share in distributed mode — and the run's report.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "exchange.hpp"
#include "run_context.hpp"
#include "streamweave/engine/graph.hpp"
#include "streamweave/engine/plan.hpp"
#include "streamweave/runtime/options.hpp"
#include "streamweave/runtime/report.hpp"
#include "task.hpp"

namespace sw::runtime {

// Where the instances run: instance i of every node on rank i % ranks (one rank in process).
struct Placement {
  bool distributed = false;
  unsigned ranks = 1;
  unsigned rank = 0;  // this process's

  [[nodiscard]] unsigned rank_of(unsigned instance) const noexcept { return instance % ranks; }
};

// The plan of a run of `options` over `ranks` ranks: a node's default parallelism is the
// run's workers (threads × ranks). Throws GraphError for a malformed graph or settings.
[[nodiscard]] Plan plan_run(const Graph& graph, const RunOptions& options, unsigned ranks);

struct Built {
  Plan plan;
  Placement placement;
  unsigned threads = 1;
  // exchange[edge]: distributed mode, the edge's items cross as frames of bytes (between
  // ranks, or handed over in memory within one).
  std::vector<bool> exchange;
  // metrics[node][instance], every instance (those of other ranks stay zero)
  std::vector<std::vector<InstanceMetrics>> metrics;
  // errors_skipped[node]: by its instances in this process (ErrorPolicy::skip's limit)
  std::unique_ptr<std::atomic<std::uint64_t>[]> errors_skipped;
  // tasks_of[chain][instance]; nullptr for an instance on another rank
  std::vector<std::vector<Task*>> tasks_of;
  // slot_base[edge]: the consumer's first input slot for the edge's producers (a forward
  // edge's producer has this slot; instance i of another edge's producer has base + i).
  std::vector<std::uint32_t> slot_base;

  [[nodiscard]] bool local(unsigned instance) const noexcept {
    return placement.rank_of(instance) == placement.rank;
  }
};

// Creates every local task, instance, channel, pool and collector, wired, before anything
// runs. The edges marked in Built::exchange go through `frames` (distributed mode), every
// other edge through channels.
void build(const Graph& graph, const RunOptions& options, RunContext& run, Built& built,
           Exchange* frames = nullptr);

// Opens every local instance (OperatorInstance::open), after the restore and before the
// tasks run. False when one failed: the run has its error. The thread that starts the run.
[[nodiscard]] bool open_instances(RunContext& run);

// The report of this process's tasks (in distributed mode: this rank's share).
[[nodiscard]] RunReport local_report(const Graph& graph, const Built& built, const RunContext& run,
                                     bool cancelled, double wall_seconds);

}  // namespace sw::runtime
