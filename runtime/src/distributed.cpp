#include "streamweave/runtime/distributed.hpp"

#include <algorithm>
#include <thread>

#include "build.hpp"
#include "distributed/mpi_world.hpp"
#include "distributed/session.hpp"
#include "run_context.hpp"
#include "streamweave/engine/errors.hpp"
#include "streamweave/engine/plan.hpp"

namespace sw {

const ClusterInfo& cluster() {
  return runtime::MpiWorld::get().info();
}

namespace runtime {
namespace {

// The ranks on one machine share its cores.
unsigned threads_per_rank(const RunOptions& options, const ClusterInfo& info) noexcept {
  if (options.threads != 0) return options.threads;
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  return std::max(1u, hardware / std::max(1u, info.ranks_on_host));
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

RunReport merge(RunReport mine, std::vector<RankReport> ranks) {
  RunReport merged = std::move(mine);
  merged.tasks = 0;
  merged.events = 0;
  merged.wall_seconds = 0;
  merged.peak_rss_bytes = 0;
  for (NodeReport& node : merged.nodes)
    node = NodeReport{node.name, node.op, node.parallelism, node.chain, 0, 0, 0, 0, 0, 0, 0,
                      0,         0,       node.ranks};
  for (EdgeReport& edge : merged.edges) edge = EdgeReport{edge.from, edge.to, edge.partitioning};
  for (const RankReport& r : ranks) {
    // A rank with no instance of anything finishes at once; the job was cancelled if any was.
    if (r.cancelled) merged.status = RunReport::Status::cancelled;
    merged.tasks += r.tasks;
    merged.events += r.events;
    merged.wall_seconds = std::max(merged.wall_seconds, r.wall_seconds);
    merged.peak_rss_bytes = std::max<std::size_t>(merged.peak_rss_bytes, r.peak_rss_bytes);
    for (std::size_t i = 0; i < merged.nodes.size() && i < r.nodes.size(); ++i) {
      NodeReport& n = merged.nodes[i];
      const NodeReport& m = r.nodes[i];
      n.items_in += m.items_in;
      n.items_out += m.items_out;
      n.batches_in += m.batches_in;
      n.batches_out += m.batches_out;
      n.errors_skipped += m.errors_skipped;
      n.retries += m.retries;
      n.dead_lettered += m.dead_lettered;
      n.busy_seconds += m.busy_seconds;
      n.blocked_seconds += m.blocked_seconds;
    }
    for (std::size_t i = 0; i < merged.edges.size() && i < r.edges.size(); ++i) {
      EdgeReport& e = merged.edges[i];
      const EdgeReport& m = r.edges[i];
      e.frames_sent += m.frames_sent;
      e.bytes_sent += m.bytes_sent;
      e.frames_received += m.frames_received;
      e.bytes_received += m.bytes_received;
      e.remote_frames_sent += m.remote_frames_sent;
      e.encode_seconds += m.encode_seconds;
      e.decode_seconds += m.decode_seconds;
      e.credit_stalls += m.credit_stalls;
      e.peak_frames_in_flight = std::max(e.peak_frames_in_flight, m.peak_frames_in_flight);
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
  built.plan = make_plan(graph, resolved, info.ranks);
  built.threads = resolved.threads;
  built.rank = info.rank;
  runtime::RunContext run(built.threads, resolved);
  runtime::Session session(graph, resolved, run, world);
  session.open(built.plan);

  // A rank that fails while building still takes part in the run's ending, so that the
  // others stop too instead of waiting for it.
  bool built_ok = true;
  try {
    runtime::build(graph, resolved, run, built, &session);
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
  RankReport rank{info.rank,
                  info.host,
                  built.threads,
                  mine.tasks,
                  mine.events,
                  wall,
                  mine.peak_rss_bytes,
                  mine.nodes,
                  {},
                  runtime::local_error_text(run.error()),
                  cancelled};
  session.add_edge_reports(graph, built.plan, rank);
  mine.edges = rank.edges;
  std::vector<RankReport> ranks = session.finish(std::move(rank));

  if (std::exception_ptr error = run.error(); error && !runtime::local_error_text(error).empty()) {
    try {
      std::rethrow_exception(error);
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
