#include "run_checkpoints.hpp"

namespace sw::runtime {

RunCheckpoints::RunCheckpoints(const Graph& graph, const Built& built, RunContext& run,
                               const CheckpointOptions& options)
    : store_(options.directory) {
  check_checkpointable(graph, run);
  RestorePoint point = choose_restore_point(store_, options);
  restored_.skipped = std::move(point.skipped);
  if (point.checkpoint) {
    restore_instances(graph, built, run, *point.checkpoint);
    restore_in_flight(graph, built, run, *point.checkpoint);
    restored_.restored_from = point.checkpoint->manifest.id;
  }
  coordinator_.emplace(graph, built, options, store_, point.next_id, run);
  for (auto& task : run.tasks) {
    task->checkpoints = &*coordinator_;
    task->alignment_timeout = options.alignment_timeout;
  }
  run.set_ticker([this, &run](Clock::time_point now) {
    try {
      return coordinator_->tick(now);
    } catch (...) {
      run.fail(std::current_exception());
      return Clock::time_point::max();
    }
  });
  if (options.savepoint_on_stop) {
    run.set_before_stop([this](Clock::time_point now) { return coordinator_->savepoint(now); });
  }
}

CheckpointReport RunCheckpoints::final_report() {
  coordinator_->stop();
  CheckpointReport r = coordinator_->report();
  r.restored_from = restored_.restored_from;
  r.skipped = restored_.skipped;
  return r;
}

}  // namespace sw::runtime
