#include "run_checkpoints.hpp"

#include "streamweave/runtime/distributed_errors.hpp"

namespace sw::runtime {

RunCheckpoints::RunCheckpoints(const Graph& graph, const Built& built, RunContext& run,
                               const CheckpointOptions& options, CheckpointPeers* peers) {
  RestorePoint point = restore_point(options, peers);
  check_checkpointable(graph, run);
  restored_.skipped = std::move(point.skipped);
  if (point.checkpoint) {
    restore_instances(graph, built, run, *point.checkpoint);
    restore_in_flight(graph, built, run, *point.checkpoint);
    restored_.restored_from = point.checkpoint->manifest.id;
  }
  coordinator_.emplace(graph, built, options, *store_, point.next_id, run, peers);
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

RestorePoint RunCheckpoints::restore_point(const CheckpointOptions& options,
                                           CheckpointPeers* peers) {
  const bool leads = peers == nullptr || peers->rank() == 0;
  RestorePoint point;
  RestoreChoice choice;
  std::exception_ptr error;
  if (leads) {
    try {
      store_.emplace(options.directory, CheckpointStore::Lock::yes);
      point = choose_restore_point(*store_, options);
      choice.restore_id = point.checkpoint ? point.checkpoint->manifest.id : 0;
      choice.next_id = point.next_id;
    } catch (...) {
      error = std::current_exception();
      choice.failed = true;
    }
  }
  // Every rank, whatever happened here: the others wait for rank 0's choice.
  if (peers != nullptr) choice = peers->agree(choice);
  if (error) std::rethrow_exception(error);
  if (leads) return point;
  if (choice.failed) {
    throw RemoteFailure(
        0, "it could not open or choose from checkpoint directory " + options.directory.string());
  }
  store_.emplace(options.directory, CheckpointStore::Lock::no);
  point.next_id = choice.next_id;
  // The directory rank 0 chose from must be this one: a shared file system across hosts.
  if (choice.restore_id != 0) point.checkpoint = store_->load(choice.restore_id);
  return point;
}

CheckpointReport RunCheckpoints::final_report() {
  coordinator_->stop();
  return report_so_far();
}

CheckpointReport RunCheckpoints::report_so_far() const {
  CheckpointReport r = coordinator_->report();
  r.restored_from = restored_.restored_from;
  r.skipped = restored_.skipped;
  return r;
}

}  // namespace sw::runtime
