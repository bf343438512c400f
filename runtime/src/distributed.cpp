#include "streamweave/runtime/distributed.hpp"

#include <algorithm>
#include <thread>

#include "build.hpp"
#include "distributed/mpi_world.hpp"
#include "distributed/placement.hpp"
#include "distributed/session.hpp"
#include "run_context.hpp"
#include "streamweave/engine/errors.hpp"
#include "streamweave/engine/plan.hpp"
#include "streamweave/runtime/distributed_errors.hpp"

namespace sw {

const ClusterInfo& cluster() {
  return runtime::MpiWorld::get().info();
}

namespace runtime {
namespace {

// The ranks on one machine share its cores; a rank bound to fewer (mpirun binds each of up
// to two ranks to one core) runs no more workers than it has.
unsigned threads_per_rank(const RunOptions& options, const ClusterInfo& info) noexcept {
  if (options.threads != 0) return options.threads;
  const unsigned share = std::max(1u, info.cpus_on_host / std::max(1u, info.ranks_on_host));
  return std::min(info.cpus, share);  // both at least 1
}

// The error this rank raised itself (not one a peer told it about), as text; empty if none.
std::string local_error_text(const std::exception_ptr& error) {
  if (!error) return {};
  try {
    std::rethrow_exception(error);
  } catch (const RemoteFailure&) {
    return {};
  } catch (...) {
    return detail::describe(std::current_exception());
  }
}

// Every rank's report lists every node and exchange edge, in the same order.
RunReport merge(RunReport mine, std::vector<RankReport> ranks) {
  RunReport merged = std::move(mine);
  merged.nodes = ranks.front().nodes;
  merged.edges = ranks.front().edges;
  merged.tasks = 0;
  merged.events = 0;
  merged.wall_seconds = 0;
  merged.peak_rss_bytes = 0;
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    const RankReport& rank = ranks[r];
    // A rank with no instance of anything finishes at once; the job was cancelled if any was.
    if (rank.cancelled) merged.status = RunReport::Status::cancelled;
    merged.tasks += rank.tasks;
    merged.events += rank.events;
    merged.wall_seconds = std::max(merged.wall_seconds, rank.wall_seconds);
    merged.peak_rss_bytes = std::max<std::size_t>(merged.peak_rss_bytes, rank.peak_rss_bytes);
    if (r == 0) continue;
    for (std::size_t i = 0; i < merged.nodes.size() && i < rank.nodes.size(); ++i) {
      merged.nodes[i] += rank.nodes[i];
    }
    for (std::size_t i = 0; i < merged.edges.size() && i < rank.edges.size(); ++i) {
      merged.edges[i] += rank.edges[i];
    }
  }
  merged.events_per_second =
      merged.wall_seconds > 0 ? static_cast<double>(merged.events) / merged.wall_seconds : 0.0;
  merged.per_rank = std::move(ranks);
  return merged;
}

}  // namespace
}  // namespace runtime

RunReport run_distributed(const Graph& graph, const RunOptions& options) {
  runtime::MpiWorld& world = runtime::MpiWorld::get();
  const ClusterInfo& info = world.info();
  RunOptions resolved = options;
  resolved.mode = Mode::distributed;
  resolved.threads = runtime::threads_per_rank(options, info);

  runtime::Built built;
  built.plan = runtime::plan_run(graph, resolved, info.ranks);
  built.placement = runtime::Placement{true, info.ranks, info.rank};
  built.exchange = runtime::exchange_edges(graph, built.plan);
  built.threads = resolved.threads;
  runtime::RunContext run(built.threads, resolved);
  runtime::Session session(graph, resolved, run, world);
  session.open(built);

  // A rank that fails while building still takes part in the run's ending, so that the
  // others stop too instead of waiting for it.
  bool built_ok = true;
  try {
    runtime::build(graph, resolved, run, built, &session.exchange());
  } catch (...) {
    run.fail(std::current_exception());
    built_ok = false;
  }
  session.start();
  const Clock::time_point started = Clock::now();
  bool cancelled = !built_ok;
  if (built_ok) {
    for (auto& task : run.tasks) task->wake();
    // Cancelled here (deadline, token) or by a peer's cancellation.
    cancelled = run.wait(resolved, started) || run.cancelled();
  }
  const double wall = std::chrono::duration<double>(Clock::now() - started).count();

  RunReport mine = runtime::local_report(graph, built, run, cancelled, wall);
  const std::string local_error = runtime::local_error_text(run.error());
  RankReport rank{info.rank, info.host,           built.threads, mine.tasks, mine.events,
                  wall,      mine.peak_rss_bytes, mine.nodes,    {},         local_error,
                  cancelled};
  session.exchange().add_edge_reports(graph, built, rank);
  mine.edges = rank.edges;
  std::vector<RankReport> ranks = session.finish(rank);

  if (!local_error.empty()) {
    try {
      std::rethrow_exception(run.error());
    } catch (const NodeError& e) {
      throw NodeError(e.node(), e.instance(), e.position(), e.message(),
                      static_cast<int>(info.rank));
    }
  }
  for (const RankReport& r : ranks) {
    if (!r.error.empty()) throw RemoteFailure(r.rank, r.error);
  }
  if (std::exception_ptr error = run.error()) std::rethrow_exception(error);
  return runtime::merge(std::move(mine), std::move(ranks));
}

}  // namespace sw
