#include "streamweave/runtime/in_process.hpp"

#include <optional>

#include "build.hpp"
#include "checkpoint/run_checkpoints.hpp"
#include "live_view.hpp"
#include "run_context.hpp"

namespace sw {

RunReport run_in_process(const Graph& graph, const RunOptions& options) {
  runtime::Built built;
  built.plan = runtime::plan_run(graph, options, 1);
  built.threads = resolved_threads(options);
  runtime::RunContext run(built.threads, options);
  runtime::build(graph, options, run, built, nullptr);
  // After the run context: destroyed first, while the tasks it knows are still there.
  std::optional<runtime::RunCheckpoints> checkpoints;
  if (options.checkpoints.enabled()) checkpoints.emplace(graph, built, run, options.checkpoints);
  // Before the tasks run; stops serving before the checkpoints and the tasks go.
  std::optional<runtime::LiveView> live;
  if (runtime::LiveView::wanted(options)) {
    std::function<CheckpointReport()> so_far;
    if (checkpoints) so_far = [&checkpoints] { return checkpoints->report_so_far(); };
    live.emplace(graph, built, run, options, std::move(so_far));
  }

  const Clock::time_point started = Clock::now();
  if (!runtime::open_instances(run)) std::rethrow_exception(run.error());
  for (auto& task : run.tasks) task->wake();
  const bool cancelled = run.wait(options, started);
  if (std::exception_ptr error = run.error()) std::rethrow_exception(error);
  if (checkpoints && !cancelled) checkpoints->finish_run();
  const double wall = std::chrono::duration<double>(Clock::now() - started).count();

  RunReport report = runtime::local_report(graph, built, run, cancelled, wall);
  if (checkpoints) report.checkpoints = checkpoints->final_report();
  return report;
}

}  // namespace sw
