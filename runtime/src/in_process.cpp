#include "streamweave/runtime/in_process.hpp"

#include "build.hpp"
#include "run_context.hpp"

namespace sw {

RunReport run_in_process(const Graph& graph, const RunOptions& options) {
  runtime::Built built;
  built.plan = runtime::plan_run(graph, options, 1);
  built.threads = resolved_threads(options);
  runtime::RunContext run(built.threads, options);
  runtime::build(graph, options, run, built, nullptr);

  const Clock::time_point started = Clock::now();
  for (auto& task : run.tasks) task->wake();
  const bool cancelled = run.wait(options, started);
  const double wall = std::chrono::duration<double>(Clock::now() - started).count();

  if (std::exception_ptr error = run.error()) std::rethrow_exception(error);
  return runtime::local_report(graph, built, run, cancelled, wall);
}

}  // namespace sw
