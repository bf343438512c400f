#include "streamweave/runtime/distributed.hpp"

#include <algorithm>
#include <optional>
#include <thread>

#include "build.hpp"
#include "checkpoint/run_checkpoints.hpp"
#include "distributed/mpi_world.hpp"
#include "distributed/placement.hpp"
#include "distributed/session.hpp"
#include "live_view.hpp"
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

// A rank's checkpoints: its part in agreeing where the run starts (even after its build
// failed: the others wait for rank 0), its coordinator hooked to the session, and its errors
// made the run's, so that the peers hear of them. Main thread.
class RankCheckpoints {
 public:
  RankCheckpoints(const Graph& graph, const Built& built, RunContext& run,
                  const CheckpointOptions& options, Session& session)
      : graph_(&graph), built_(&built), run_(&run), options_(&options), session_(&session) {}
  ~RankCheckpoints() { session_->listen_for_checkpoints(nullptr); }
  RankCheckpoints(const RankCheckpoints&) = delete;
  RankCheckpoints& operator=(const RankCheckpoints&) = delete;

  // Collective. Whether the run may start: its build went well, and so did its restore.
  bool start(bool built_ok) {
    CheckpointPeers* peers = session_->checkpoint_peers();
    if (!built_ok) {
      if (peers != nullptr) (void)peers->agree(RestoreChoice{true, 0, 1});
      return false;
    }
    try {
      checkpoints_.emplace(*graph_, *built_, *run_, *options_, peers);
    } catch (...) {
      run_->fail(std::current_exception());
      return false;
    }
    session_->listen_for_checkpoints(&checkpoints_->listener());
    return true;
  }
  void finish_run() {
    try {
      if (checkpoints_) checkpoints_->finish_run();
    } catch (...) {
      run_->fail(std::current_exception());
    }
  }
  [[nodiscard]] CheckpointReport final_report() {
    return checkpoints_ ? checkpoints_->final_report() : CheckpointReport{};
  }
  // Any thread, once start() returned.
  [[nodiscard]] CheckpointReport report_so_far() const {
    return checkpoints_ ? checkpoints_->report_so_far() : CheckpointReport{};
  }

 private:
  const Graph* graph_;
  const Built* built_;
  RunContext* run_;
  const CheckpointOptions* options_;
  Session* session_;
  std::optional<RunCheckpoints> checkpoints_;
};

// The rank's live figures, when `options` asks for them; false (the run failed with the
// error) when the metrics server cannot listen.
bool start_live_view(std::optional<LiveView>& live, const Graph& graph, const Built& built,
                     RunContext& run, const RunOptions& options,
                     const std::optional<RankCheckpoints>& checkpoints) {
  if (!LiveView::wanted(options)) return true;
  try {
    std::function<CheckpointReport()> so_far;
    if (checkpoints) so_far = [&checkpoints] { return checkpoints->report_so_far(); };
    live.emplace(graph, built, run, options, std::move(so_far));
    return true;
  } catch (...) {
    run.fail(std::current_exception());
    return false;
  }
}

// The run's error, if any: this rank's own first (a node's error naming this rank), then the
// first peer's, then one a peer told this rank about.
void throw_first_error(RunContext& run, bool local_error, const std::vector<RankReport>& ranks,
                       unsigned rank) {
  if (local_error) {
    try {
      std::rethrow_exception(run.error());
    } catch (const NodeError& e) {
      throw NodeError(e.node(), e.instance(), e.position(), e.message(), static_cast<int>(rank));
    }
  }
  for (const RankReport& r : ranks) {
    if (!r.error.empty()) throw RemoteFailure(r.rank, r.error);
  }
  if (std::exception_ptr error = run.error()) std::rethrow_exception(error);
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
  // After the session: goes first, while the session still takes the peers' messages.
  std::optional<runtime::RankCheckpoints> checkpoints;
  if (resolved.checkpoints.enabled()) {
    built_ok =
        checkpoints.emplace(graph, built, run, resolved.checkpoints, session).start(built_ok);
  }
  // Before the tasks run; stops serving before the checkpoints and the session go.
  std::optional<runtime::LiveView> live;
  built_ok = built_ok && runtime::start_live_view(live, graph, built, run, resolved, checkpoints);
  built_ok = built_ok && runtime::open_instances(run);
  session.start();
  const Clock::time_point started = Clock::now();
  bool cancelled = !built_ok;
  if (built_ok) {
    for (auto& task : run.tasks) task->wake();
    // Cancelled here (deadline, token) or by a peer's cancellation.
    cancelled = run.wait(resolved, started) || run.cancelled();
  }
  if (checkpoints && !cancelled) checkpoints->finish_run();
  cancelled = cancelled || run.cancelled();
  const double wall = std::chrono::duration<double>(Clock::now() - started).count();

  RunReport mine = runtime::local_report(graph, built, run, cancelled, wall);
  // Before the session ends: a coordinator sends nothing once the ranks stopped sending.
  if (checkpoints) mine.checkpoints = checkpoints->final_report();
  const std::string local_error = runtime::local_error_text(run.error());
  RankReport rank{info.rank, info.host,           built.threads, mine.tasks, mine.events,
                  wall,      mine.peak_rss_bytes, mine.nodes,    {},         local_error,
                  cancelled};
  session.exchange().add_edge_reports(graph, built, rank);
  mine.edges = rank.edges;
  std::vector<RankReport> ranks = session.finish(rank);

  runtime::throw_first_error(run, !local_error.empty(), ranks, info.rank);
  return runtime::merge(std::move(mine), std::move(ranks));
}

}  // namespace sw
