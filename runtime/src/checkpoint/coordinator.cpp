#include "coordinator.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "../graph_fingerprint.hpp"
#include "streamweave/engine/errors.hpp"
#include "streamweave/runtime/distributed_errors.hpp"

namespace sw::runtime {

namespace {

// How often tick() looks again while a checkpoint is in flight.
constexpr auto kInFlightPoll = std::chrono::milliseconds(20);
// Errors of failed checkpoints the report keeps.
constexpr std::size_t kErrorsKept = 3;

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::uint64_t micros(Clock::duration d) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

}  // namespace

CheckpointCoordinator::CheckpointCoordinator(const Graph& graph, const Built& built,
                                             const CheckpointOptions& options,
                                             CheckpointStore& store, std::uint64_t first_id,
                                             RunContext& run, CheckpointPeers* peers)
    : graph_(&graph),
      built_(&built),
      options_(options),
      store_(&store),
      run_(&run),
      peers_(peers),
      fingerprint_(graph_shape_fingerprint(graph)),
      next_id_(first_id),
      next_due_(next_after(Clock::now())) {
  for (auto& task : run.tasks) tasks_.push_back(TaskEntry{task.get(), 0, std::nullopt});
  writer_ = std::thread([this] { write_loop(); });
}

CheckpointCoordinator::~CheckpointCoordinator() {
  stop();
}

void CheckpointCoordinator::stop() noexcept {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  changed_.notify_all();
  if (writer_.joinable()) writer_.join();
}

Clock::time_point CheckpointCoordinator::next_after(Clock::time_point now) const {
  // An interval of 0: no checkpoint while the graph runs, only the final one.
  return options_.interval.count() > 0 ? now + options_.interval : Clock::time_point::max();
}

Clock::time_point CheckpointCoordinator::tick(Clock::time_point now) {
  if (!leads()) return Clock::time_point::max();  // rank 0 starts them, and times them out
  std::lock_guard lock(mutex_);
  if (in_flight_) {
    time_out(now);
    return now + kInFlightPoll;
  }
  if (savepoint_) return now + kInFlightPoll;  // the run is stopping: no more checkpoints
  if (now < next_due_) return next_due_;
  start_checkpoint(next_id_++, now, false);
  return now + kInFlightPoll;
}

void CheckpointCoordinator::time_out(Clock::time_point now) {
  InFlight& c = *in_flight_;
  if (c.final || c.completing || now - c.started < options_.timeout) return;
  std::size_t waiting = 0;
  for (const TaskEntry& t : tasks_) waiting += t.acknowledged != c.id ? 1 : 0;
  const std::string ranks = peers_ == nullptr
                                ? ""
                                : fmt::format(", {} of {} other ranks have not acknowledged it",
                                              c.ranks_pending, other_ranks());
  c.error = std::make_exception_ptr(std::runtime_error(fmt::format(
      "not complete after {} ms (CheckpointOptions::timeout): {} of {} tasks have not passed "
      "its barrier, {} state files are being written{}",
      options_.timeout.count(), waiting, tasks_.size(), c.writes_pending, ranks)));
  failed(c);
}

bool CheckpointCoordinator::savepoint(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (!leads()) {
    if (!savepoint_asked_) savepoint_asked_ = now;
    return savepoint_heard_ || now - *savepoint_asked_ >= options_.timeout;
  }
  if (!savepoint_) {
    if (in_flight_ && in_flight_->unaligned) {  // a savepoint is aligned: the next one
      time_out(now);
      return false;
    }
    // Its manifest is being written from a copy: too late to mark it; the next one is.
    if (in_flight_ && in_flight_->completing) return false;
    if (!in_flight_) start_checkpoint(next_id_++, now, false);
    savepoint_ = in_flight_->id;
    in_flight_->savepoint = true;
    return false;
  }
  if (in_flight_ && in_flight_->id == *savepoint_) {
    time_out(now);
    return false;
  }
  return true;  // complete (report_.savepoint) or failed (report_.errors)
}

void CheckpointCoordinator::start_checkpoint(std::uint64_t id, Clock::time_point now, bool final) {
  InFlight& c = in_flight_.emplace();
  c.id = id;
  c.final = final;
  c.started = now;
  c.started_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  c.ranks_pending = other_ranks();
  c.rank_acknowledged.assign(c.ranks_pending + 1, false);
  if (leads()) {
    // The directory first, in the writer's queue; then the barriers, so that no rank writes
    // a file of it before the directory is there.
    ++c.writes_pending;
    post([this, id] {
      std::exception_ptr error;
      try {
        store_->begin(id);
      } catch (...) {
        error = std::current_exception();
      }
      began(id, error);
    });
  } else {
    inject();
  }
  for (TaskEntry& t : tasks_) {
    if (t.final_states) take_states(t, *t.final_states);
  }
  settle_if_done();
}

void CheckpointCoordinator::began(std::uint64_t id, std::exception_ptr error) {
  std::lock_guard lock(mutex_);
  if (!in_flight_ || in_flight_->id != id) return;
  InFlight& c = *in_flight_;
  --c.writes_pending;
  if (error) {  // no barrier went out: nothing else would settle it
    if (!c.error) c.error = error;
    failed(c);
    return;
  }
  inject();
  settle_if_done();
}

void CheckpointCoordinator::inject() {
  InFlight& c = *in_flight_;
  if (c.injected) return;
  c.injected = true;
  for (TaskEntry& t : tasks_) {
    if (!t.final_states && t.task->source != nullptr) t.task->request_barrier(c.id);
  }
  if (leads()) broadcast(CheckpointStartMessage{c.id, c.final, c.savepoint});
}

void CheckpointCoordinator::broadcast(const ControlMessage& message) {
  if (peers_ == nullptr) return;
  for (unsigned rank = 1; rank < peers_->ranks(); ++rank) peers_->send(rank, message);
}

void CheckpointCoordinator::take_states(TaskEntry& task,
                                        const std::vector<InstanceSnapshot>& states) {
  InFlight& c = *in_flight_;
  task.acknowledged = c.id;
  ++c.acknowledged;
  for (const InstanceSnapshot& s : states) {
    c.longest_snapshot = std::max(c.longest_snapshot, s.took);
    const PlanNode& node = built_->plan.nodes[s.node];
    StateFileEntry entry;
    entry.node = graph_->node(s.node).name();
    entry.op = graph_->node(s.node).op();
    entry.instance = s.instance;
    entry.parallelism = node.parallelism;
    entry.rank = built_->placement.rank;
    entry.file = fmt::format("n{}-i{}.{}", s.node, s.instance,
                             s.kind == StateFileKind::in_flight ? "inflight" : "state");
    entry.kind = s.kind;
    entry.entries = s.entries;
    if (s.entries != 0 && s.kind == StateFileKind::operator_state) {
      const auto [first, end] = key_groups_of(s.instance, node.parallelism);
      entry.key_groups = {first, end};
    }
    ++c.writes_pending;
    post([this, id = c.id, entry = std::move(entry), payload = s.payload]() mutable {
      write_state(id, std::move(entry), std::move(payload));
    });
  }
}

void CheckpointCoordinator::acknowledge(std::uint64_t id, Task& task,
                                        std::vector<InstanceSnapshot> states,
                                        Clock::duration aligning, std::exception_ptr error) {
  std::lock_guard lock(mutex_);
  if (!leads()) join(id, false, false);
  if (!in_flight_ || in_flight_->id != id) return;  // one that failed meanwhile
  TaskEntry& entry = tasks_.at(task.index);
  if (entry.acknowledged == id) return;
  in_flight_->longest_alignment = std::max(in_flight_->longest_alignment, aligning);
  if (error && !in_flight_->error) in_flight_->error = error;
  take_states(entry, states);
  settle_if_done();
}

bool CheckpointCoordinator::may_go_unaligned(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (!in_flight_ || in_flight_->id != id || in_flight_->savepoint) return false;
  in_flight_->unaligned = true;
  return true;
}

void CheckpointCoordinator::finished(Task& task, std::vector<InstanceSnapshot> states) {
  std::lock_guard lock(mutex_);
  TaskEntry& entry = tasks_.at(task.index);
  entry.final_states = std::move(states);
  if (in_flight_ && entry.acknowledged != in_flight_->id) {
    take_states(entry, *entry.final_states);
    settle_if_done();
  }
}

void CheckpointCoordinator::write_state(std::uint64_t id, StateFileEntry entry,
                                        std::vector<Bytes> payload) {
  {
    std::lock_guard lock(mutex_);
    if (!in_flight_ || in_flight_->id != id) return;  // it failed: spare the disk
  }
  std::exception_ptr error;
  try {
    store_->write_state(id, entry, payload);
  } catch (...) {
    error = std::current_exception();
  }
  std::lock_guard lock(mutex_);
  if (!in_flight_ || in_flight_->id != id) return;
  InFlight& c = *in_flight_;
  if (error && !c.error) c.error = error;
  if (!error) c.files.push_back(std::move(entry));
  --c.writes_pending;
  settle_if_done();
}

void CheckpointCoordinator::settle_if_done() {
  InFlight& c = *in_flight_;
  if (c.acknowledged < tasks_.size() || c.writes_pending != 0) return;
  if (!leads()) {
    acknowledge_to_leader();
    return;
  }
  if (c.ranks_pending != 0) return;
  if (c.error) {
    failed(c);
    return;
  }
  ++c.writes_pending;  // the manifest: nothing else settles it meanwhile
  c.completing = true;
  post([this, id = c.id] {
    InFlight done;
    {
      std::lock_guard lock(mutex_);
      if (!in_flight_ || in_flight_->id != id) return;
      done = *in_flight_;
    }
    complete(std::move(done));
  });
}

CheckpointManifest CheckpointCoordinator::manifest_of(const InFlight& c) const {
  CheckpointManifest m;
  m.id = c.id;
  m.graph = graph_->name();
  m.graph_fingerprint = fingerprint_;
  m.key_groups = kKeyGroups;
  m.ranks = built_->placement.ranks;
  m.final = c.final;
  m.started_unix_ms = c.started_unix_ms;
  m.duration_us = micros(Clock::now() - c.started);
  m.alignment_us = micros(c.longest_alignment);
  m.snapshot_us = micros(c.longest_snapshot);
  m.savepoint = c.savepoint;
  m.unaligned = c.unaligned;
  m.files = c.files;
  std::sort(m.files.begin(), m.files.end(),
            [](const StateFileEntry& a, const StateFileEntry& b) { return a.file < b.file; });
  return m;
}

void CheckpointCoordinator::complete(InFlight c) {
  const CheckpointManifest manifest = manifest_of(c);
  try {
    store_->complete(manifest);
  } catch (...) {
    std::lock_guard lock(mutex_);
    c.error = std::current_exception();
    failed(c);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    failures_in_a_row_ = 0;
    count_completed(c);
    report_.last_duration_seconds = seconds(Clock::now() - c.started);
    report_.last_alignment_seconds = seconds(c.longest_alignment);
    report_.last_bytes = 0;
    report_.last_in_flight_bytes = 0;
    for (const StateFileEntry& f : manifest.files) {
      (f.kind == StateFileKind::in_flight ? report_.last_in_flight_bytes : report_.last_bytes) +=
          f.bytes;
    }
    in_flight_.reset();
    next_due_ = next_after(Clock::now());
    broadcast(CheckpointDoneMessage{c.id, true});
  }
  notify_complete(c.id);
  store_->prune(options_.retained);
}

void CheckpointCoordinator::count_completed(const InFlight& c) {
  ++report_.completed;
  report_.last_id = c.id;
  if (c.savepoint) report_.savepoint = c.id;
  if (c.unaligned) ++report_.unaligned;
}

void CheckpointCoordinator::failed(const InFlight& c) {
  ++report_.failed;
  ++failures_in_a_row_;
  const std::string why =
      "checkpoint " + std::to_string(c.id) + " failed: " + detail::describe(c.error);
  if (report_.errors.size() < kErrorsKept) report_.errors.push_back(why);
  last_error_ = why;
  // Its files go, after any write of it still queued (one writer thread, in order).
  post([this, id = c.id] { store_->discard(id); });
  const bool final = c.final;  // `c` may be *in_flight_, reset next
  broadcast(CheckpointDoneMessage{c.id, false});
  in_flight_.reset();
  next_due_ = next_after(Clock::now());
  if (!final && failures_in_a_row_ > options_.tolerable_failures) {
    run_->fail(std::make_exception_ptr(std::runtime_error(
        why + " (" + std::to_string(failures_in_a_row_) + " in a row; CheckpointOptions::" +
        "tolerable_failures is " + std::to_string(options_.tolerable_failures) + ")")));
  }
}

void CheckpointCoordinator::notify_complete(std::uint64_t id) {
  std::vector<Task*> done;
  {
    std::lock_guard lock(mutex_);
    for (TaskEntry& t : tasks_) {
      if (t.final_states) {
        done.push_back(t.task);
      } else {
        t.task->checkpoint_completed(id);
      }
    }
  }
  // A finished task runs no more: its instances hear it here.
  try {
    for (Task* task : done) {
      for (auto& op : task->ops) op->on_checkpoint_complete(id);
    }
  } catch (...) {
    run_->fail(std::current_exception());
  }
}

template <class Predicate>
bool CheckpointCoordinator::wait_unless_stopped(std::unique_lock<std::mutex>& lock,
                                                Predicate done) {
  // A run that fails meanwhile (a peer lost) does not notify this condition: look now and then.
  constexpr auto kLook = std::chrono::milliseconds(50);
  while (!done()) {
    if (run_->cancelled()) return false;
    changed_.wait_for(lock, kLook);
  }
  return true;
}

void CheckpointCoordinator::finish_run() {
  std::unique_lock lock(mutex_);
  auto idle = [this] { return !in_flight_ && jobs_.empty() && jobs_running_ == 0; };
  if (!leads()) {
    peers_->send(0, TasksFinishedMessage{});
    // Then rank 0's final checkpoint, which this rank acknowledges with its final states, and
    // the commits its completion asks of this rank's instances.
    if (!wait_unless_stopped(lock, [&] { return final_ != FinalOutcome::pending && idle(); }))
      return;
    if (final_ == FinalOutcome::failed) throw RemoteFailure(0, "its final checkpoint failed");
    return;
  }
  // The checkpoint in flight settles once every task has finished, on every rank.
  if (!wait_unless_stopped(lock, [&] { return idle() && ranks_finished_ == other_ranks(); }))
    return;
  const std::uint64_t failed_before = report_.failed;
  start_checkpoint(next_id_++, Clock::now(), true);
  if (!wait_unless_stopped(lock, idle)) return;
  if (report_.failed != failed_before) throw std::runtime_error(last_error_);
}

void CheckpointCoordinator::on_checkpoint_message(unsigned from, const ControlMessage& message) {
  std::lock_guard lock(mutex_);
  if (const auto* start = std::get_if<CheckpointStartMessage>(&message)) {
    if (!leads()) join(start->id, start->final, start->savepoint);
  } else if (const auto* ack = std::get_if<CheckpointAckMessage>(&message)) {
    if (leads()) take_acknowledgement(from, *ack);
  } else if (const auto* done = std::get_if<CheckpointDoneMessage>(&message)) {
    if (!leads()) settled(*done);
  } else if (std::holds_alternative<TasksFinishedMessage>(message)) {
    ++ranks_finished_;
    changed_.notify_all();
  }
}

void CheckpointCoordinator::join(std::uint64_t id, bool final, bool savepoint) {
  if (id <= settled_up_to_ || (in_flight_ && in_flight_->id > id)) return;  // an old one
  if (!in_flight_ || in_flight_->id != id) {
    // One still in flight here was given up by rank 0 (its outcome is on the way).
    start_checkpoint(id, Clock::now(), final);
  }
  in_flight_->final = in_flight_->final || final;
  in_flight_->savepoint = in_flight_->savepoint || savepoint;
}

void CheckpointCoordinator::acknowledge_to_leader() {
  InFlight& c = *in_flight_;
  if (c.completing) return;
  c.completing = true;
  CheckpointAckMessage ack{c.id,
                           c.files,
                           micros(c.longest_alignment),
                           micros(c.longest_snapshot),
                           c.unaligned,
                           c.error ? detail::describe(c.error) : std::string()};
  if (c.error) ack.files.clear();
  peers_->send(0, std::move(ack));
}

void CheckpointCoordinator::take_acknowledgement(unsigned from, const CheckpointAckMessage& ack) {
  if (!in_flight_ || in_flight_->id != ack.id || from == 0 || from > other_ranks()) return;
  InFlight& c = *in_flight_;
  if (c.rank_acknowledged[from]) return;
  c.rank_acknowledged[from] = true;
  --c.ranks_pending;
  c.longest_alignment =
      std::max<Clock::duration>(c.longest_alignment, std::chrono::microseconds(ack.alignment_us));
  c.longest_snapshot =
      std::max<Clock::duration>(c.longest_snapshot, std::chrono::microseconds(ack.snapshot_us));
  c.unaligned = c.unaligned || ack.unaligned;
  if (!ack.error.empty() && !c.error) {
    c.error =
        std::make_exception_ptr(std::runtime_error(fmt::format("rank {}: {}", from, ack.error)));
  }
  c.files.insert(c.files.end(), ack.files.begin(), ack.files.end());
  settle_if_done();
}

void CheckpointCoordinator::settled(const CheckpointDoneMessage& done) {
  settled_up_to_ = std::max(settled_up_to_, done.id);
  if (!in_flight_ || in_flight_->id != done.id) return;
  const InFlight c = std::move(*in_flight_);
  in_flight_.reset();
  if (c.savepoint) savepoint_heard_ = true;
  if (c.final) final_ = done.completed ? FinalOutcome::completed : FinalOutcome::failed;
  if (done.completed) {
    count_completed(c);
    // Commits, off the communication thread.
    post([this, id = c.id] { notify_complete(id); });
  } else {
    ++report_.failed;
  }
  changed_.notify_all();
}

CheckpointReport CheckpointCoordinator::report() const {
  std::lock_guard lock(mutex_);
  return report_;
}

void CheckpointCoordinator::post(std::function<void()> job) {
  jobs_.push_back(std::move(job));
  changed_.notify_all();
}

void CheckpointCoordinator::write_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    ++jobs_running_;
    lock.unlock();
    job();
    lock.lock();
    --jobs_running_;
    changed_.notify_all();
  }
}

}  // namespace sw::runtime
