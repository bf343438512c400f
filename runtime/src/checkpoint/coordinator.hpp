// Internal: the checkpoint coordinator of one run in this process (asynchronous barrier
// snapshotting, as Flink does). Checkpoint n starts when the coordinator asks every source
// task for barrier n; each task snapshots its instances as the barrier passes it (aligning
// its inputs' barriers first) and hands the coordinator their state; a writer thread writes
// the state files off the tasks' threads. Once every task has acknowledged n, or finished,
// and every file is written, the manifest completes n and the instances hear it (sinks
// commit). When every task has finished, a final checkpoint holds what they left.
//
// In a distributed run every rank has one, and rank 0's leads (CheckpointPeers): it starts
// each checkpoint once its directory exists and tells the others, which inject the barriers
// at their own sources, write their instances' files into the same directory and acknowledge
// with the list; rank 0 writes the manifest when every rank did, and tells them the outcome
// (their sinks commit). The final checkpoint waits until every rank's tasks have finished.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../build.hpp"
#include "peers.hpp"
#include "snapshot.hpp"
#include "store.hpp"
#include "streamweave/runtime/checkpoint_options.hpp"
#include "streamweave/runtime/report.hpp"

namespace sw::runtime {

class CheckpointCoordinator final : public CheckpointListener {
 public:
  // Checkpoints of `graph` as built in `built`, numbered from `first_id`, in `store`;
  // `peers`: the other ranks of a distributed run (null in process).
  CheckpointCoordinator(const Graph& graph, const Built& built, const CheckpointOptions& options,
                        CheckpointStore& store, std::uint64_t first_id, RunContext& run,
                        CheckpointPeers* peers = nullptr);
  // Stops the writer thread; a checkpoint still in flight stays incomplete on disk.
  ~CheckpointCoordinator() override;
  CheckpointCoordinator(const CheckpointCoordinator&) = delete;
  CheckpointCoordinator& operator=(const CheckpointCoordinator&) = delete;

  // Starts a checkpoint when one is due (rank 0's decides for every rank). Returns when to
  // call again. The thread that waits for the run (RunContext::wait).
  Clock::time_point tick(Clock::time_point now);
  // The run is to stop (CheckpointOptions::savepoint_on_stop): the first call starts a
  // savepoint (or takes the checkpoint in flight as one); returns true once it completed or
  // failed, so that the run may stop. Another rank than 0 waits for rank 0's savepoint, at
  // most CheckpointOptions::timeout. The thread that waits for the run.
  bool savepoint(Clock::time_point now);
  // Task `task` passed barrier `id`: `states` are its instances' snapshots; it waited
  // `aligning` for the barrier on all its inputs; `error`, when set, fails the checkpoint (its
  // in-flight input could not be saved). The task's thread.
  void acknowledge(std::uint64_t id, Task& task, std::vector<InstanceSnapshot> states,
                   Clock::duration aligning, std::exception_ptr error = nullptr);
  // Task `task` waited CheckpointOptions::alignment_timeout to align checkpoint `id`: whether
  // it may pass it unaligned (not when it is the savepoint, which stays aligned, nor one that
  // is no longer in flight). The task's thread.
  [[nodiscard]] bool may_go_unaligned(std::uint64_t id);
  // Task `task` finished: `states` is what its instances hold now, for every checkpoint it
  // did not acknowledge. The task's thread, its last call into the coordinator.
  void finished(Task& task, std::vector<InstanceSnapshot> states);
  // After every task finished without error or cancel: waits for the checkpoint in flight,
  // writes the final checkpoint, and lets every instance hear it complete. Distributed, rank 0
  // first waits for every rank's tasks to finish, the others for rank 0's final checkpoint;
  // returns early when the run is cancelled or fails meanwhile (a peer lost). The thread that
  // waited for the run. Throws what writing or committing throws.
  void finish_run();

  // CheckpointListener: rank 0's start or outcome of a checkpoint, another rank's
  // acknowledgement or end. The communication thread.
  void on_checkpoint_message(unsigned from, const ControlMessage& message) override;

  // Stops the writer thread (a checkpoint still in flight stays incomplete on disk), so that
  // report() is final. Idempotent; the thread that waited for the run.
  void stop() noexcept;

  // What the checkpoints of the run did so far. Any thread.
  [[nodiscard]] CheckpointReport report() const;

 private:
  struct TaskEntry {
    Task* task = nullptr;
    std::uint64_t acknowledged = 0;  // the last checkpoint it acknowledged
    std::optional<std::vector<InstanceSnapshot>> final_states;  // once it finished
  };
  struct InFlight {
    std::uint64_t id = 0;
    bool final = false;
    Clock::time_point started;
    std::int64_t started_unix_ms = 0;
    std::size_t acknowledged = 0;
    std::size_t writes_pending = 0;
    bool completing = false;  // its manifest is being written (another rank: acknowledged)
    bool unaligned = false;   // some task passed it unaligned
    bool savepoint = false;   // it must stay aligned
    bool injected = false;    // the sources were asked for its barriers
    std::vector<bool> rank_acknowledged;  // rank 0: by rank
    std::size_t ranks_pending = 0;        // rank 0: the other ranks yet to acknowledge
    Clock::duration longest_alignment{0};
    Clock::duration longest_snapshot{0};
    std::vector<StateFileEntry> files;
    std::exception_ptr error;
  };

  enum class FinalOutcome { pending, completed, failed };

  [[nodiscard]] bool leads() const noexcept { return peers_ == nullptr || peers_->rank() == 0; }
  [[nodiscard]] std::size_t other_ranks() const noexcept {
    return peers_ == nullptr ? 0 : peers_->ranks() - 1;
  }
  [[nodiscard]] Clock::time_point next_after(Clock::time_point now) const;
  void time_out(Clock::time_point now);  // lock held: fails the checkpoint in flight if late
  void start_checkpoint(std::uint64_t id, Clock::time_point now, bool final);  // lock held
  void began(std::uint64_t id, std::exception_ptr error);  // writer thread: the directory
  void inject();  // lock held: the sources' barriers, and rank 0 tells the others
  void broadcast(const ControlMessage& message);  // lock held: rank 0, to every other rank
  // Lock held, another rank than 0: takes part in checkpoint `id`, which rank 0 started (its
  // start, or a barrier of it from another rank that came first).
  void join(std::uint64_t id, bool final, bool savepoint);
  void take_acknowledgement(unsigned from, const CheckpointAckMessage& ack);  // lock held, rank 0
  void settled(const CheckpointDoneMessage& done);  // lock held, another rank than 0
  void acknowledge_to_leader();                     // lock held, another rank than 0
  // Waits until `done` or the run stops; false if it stopped. Lock held by `lock`.
  template <class Predicate>
  bool wait_unless_stopped(std::unique_lock<std::mutex>& lock, Predicate done);
  void take_states(TaskEntry& task, const std::vector<InstanceSnapshot>& states);  // lock held
  void write_state(std::uint64_t id, StateFileEntry entry,
                   std::vector<Bytes> payload);  // writer thread
  void count_completed(const InFlight& c);       // lock held: the report's share of a completion
  void settle_if_done();  // lock held: completes or fails the checkpoint in flight when it can
  void complete(InFlight checkpoint);       // writer thread
  void failed(const InFlight& checkpoint);  // lock held
  void notify_complete(std::uint64_t id);   // writer or main thread, unlocked
  [[nodiscard]] CheckpointManifest manifest_of(const InFlight& checkpoint) const;
  void post(std::function<void()> job);  // to the writer thread
  void write_loop();

  const Graph* graph_;
  const Built* built_;
  CheckpointOptions options_;
  CheckpointStore* store_;
  RunContext* run_;
  CheckpointPeers* peers_;
  std::uint64_t fingerprint_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<TaskEntry> tasks_;
  std::uint64_t next_id_;
  Clock::time_point next_due_;
  std::optional<InFlight> in_flight_;
  unsigned failures_in_a_row_ = 0;
  std::optional<std::uint64_t> savepoint_;  // the checkpoint a stop waits for
  // Rank 0: the other ranks whose tasks have all finished.
  std::size_t ranks_finished_ = 0;
  // Other ranks: the newest checkpoint rank 0 settled; how their final one ended; when a stop
  // began to wait for rank 0's savepoint, and whether it was heard.
  std::uint64_t settled_up_to_ = 0;
  FinalOutcome final_ = FinalOutcome::pending;
  std::optional<Clock::time_point> savepoint_asked_;
  bool savepoint_heard_ = false;
  CheckpointReport report_;
  std::string last_error_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::size_t jobs_running_ = 0;
  std::thread writer_;
};

}  // namespace sw::runtime
