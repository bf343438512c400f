// Internal: the state of one run — arena, tasks, pools, completion, timers, first error.
#pragma once

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <vector>

#include "arena_handoff.hpp"
#include "streamweave/engine/batch.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/runtime/options.hpp"
#include "task.hpp"

namespace sw::runtime {

// Runs a run's tasks instead of its arena's workers (Session: the communication thread).
class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  // Takes a scheduled task; the runner calls RunContext::execute(task) soon. Any thread.
  virtual void enqueue(Task& task) = 0;
};

class RunContext final : public PoolProvider {
 public:
  RunContext(unsigned threads, const RunOptions& options);
  ~RunContext();

  // Enqueues task.run() on the arena, or hands it to the runner. Any thread.
  void schedule(Task& task);
  // True when the run's workers have no task queued, so a task whose budget is spent may go
  // on at once instead of re-queueing itself (and moving to another worker for nothing).
  // Never with a runner: its thread must get back to its own work. Any thread.
  [[nodiscard]] bool none_waiting() const noexcept {
    return runner_ == nullptr && waiting_.load(std::memory_order_relaxed) == 0;
  }
  // A worker took a task off the arena's queue (ArenaHandoff). Any thread.
  void took_one() noexcept { waiting_.fetch_sub(1, std::memory_order_relaxed); }
  // Runs a scheduled task: on a worker (ArenaHandoff) or on the runner's thread.
  void execute(Task& task) noexcept;
  // From now on, tasks run on `runner` instead of the arena. Main thread, before any task is
  // woken; `runner` must outlive the run's tasks.
  void run_tasks_on(TaskRunner& runner) noexcept { runner_ = &runner; }
  // Asks for task.wake() at `when` (linger). Any thread.
  void wake_at(Task& task, Clock::time_point when);
  // A task has finished for good. Any thread; the task's last call into the run.
  void task_done() noexcept;
  // Records the first error and cancels the run. Any thread.
  void fail(std::exception_ptr error) noexcept;
  // Stops every task soon; they drop what they hold. Any thread.
  void cancel() noexcept;
  [[nodiscard]] bool cancelled() const noexcept {
    return cancelled_.load(std::memory_order_acquire);
  }
  // Progress counters (RunOptions::on_progress). Any thread.
  void note_events(std::uint64_t n) noexcept {
    if (n != 0) progress_events_.fetch_add(n, std::memory_order_relaxed);
  }
  void note_blocked(std::int64_t ns) noexcept {
    progress_blocked_ns_.fetch_add(ns, std::memory_order_relaxed);
  }

  // wait() calls `tick(now)` when it is due, with no lock held; tick returns when it is due
  // next. Main thread, before wait().
  void set_ticker(std::function<Clock::time_point(Clock::time_point)> tick) {
    ticker_ = std::move(tick);
  }
  // When the deadline or the cancel token stops the run, wait() calls `ready(now)` (no lock
  // held) until it returns true, and only then cancels the tasks (a savepoint first). Main
  // thread, before wait().
  void set_before_stop(std::function<bool(Clock::time_point)> ready) {
    before_stop_ = std::move(ready);
  }

  // The calling thread waits until every task is done, firing timers and watching the
  // deadline and cancel token meanwhile. Returns true if the run was cancelled.
  bool wait(const RunOptions& options, Clock::time_point started);

  [[nodiscard]] std::exception_ptr error() const;
  // Fails the run when a mapped input file shrank since it started (serde/mapped_file.hpp):
  // an operator may have read zeros where the file's data was. Any thread.
  void check_mapped_files() noexcept;

  // Keeps an operator's pool until the end of the run (build time, one thread).
  BatchPoolBase& adopt(std::unique_ptr<BatchPoolBase> pool) override {
    return *pools.emplace_back(std::move(pool));
  }

  // Adds what only the caller knows (the watermark, the last checkpoint) to each progress
  // report before on_progress sees it. Main thread, before wait().
  void set_progress_detail(std::function<void(RunProgress&)> detail) {
    progress_detail_ = std::move(detail);
  }
  // The memory pressure and peak RSS at the last sample (every 10 ms). Any thread.
  [[nodiscard]] MemoryPressure pressure_now() const noexcept {
    return pressure_now_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::size_t peak_rss_now() const noexcept {
    return peak_rss_now_.load(std::memory_order_relaxed);
  }
  // A source step was throttled by high memory pressure, or paused by critical. Any thread.
  void source_throttled() noexcept { source_throttles_.fetch_add(1, std::memory_order_relaxed); }
  void source_paused() noexcept { source_pauses_.fetch_add(1, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t source_throttles() const noexcept {
    return source_throttles_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t source_pauses() const noexcept {
    return source_pauses_.load(std::memory_order_relaxed);
  }

  [[nodiscard]] BufferPool& buffer_pool() const noexcept override { return *buffers_; }
  [[nodiscard]] const MemoryMonitor& memory() const noexcept { return monitor_; }
  [[nodiscard]] BufferPoolStats buffer_pool_at_start() const noexcept { return buffers_at_start_; }

 private:
  // Destroyed after the batch pools: batches return their storage to it.
  std::unique_ptr<BufferPool> own_buffers_;
  BufferPool* buffers_;
  BufferPoolStats buffers_at_start_;
  MemoryMonitor monitor_;

 public:
  // Destroyed last: batches held by tasks return to them.
  std::vector<std::unique_ptr<BatchPoolBase>> pools;
  std::vector<std::unique_ptr<Task>> tasks;

 private:
  struct Timer {
    Clock::time_point when;
    Task* task;
    bool operator>(const Timer& other) const noexcept { return when > other.when; }
  };

  // Runs `f` with `lock` released, and takes it again.
  template <class F>
  static void unlocked(std::unique_lock<std::mutex>& lock, F&& f) {
    lock.unlock();
    f();
    lock.lock();
  }
  // Wakes the tasks whose timers are due and, with `stop`, cancels the run. Returns true when
  // that stopped a run nothing else had cancelled. Called and returns with `lock` held.
  bool fire_timers(std::unique_lock<std::mutex>& lock, Clock::time_point now, bool stop);

  oneapi::tbb::global_control workers_;
  oneapi::tbb::task_arena arena_;
  TaskRunner* runner_ = nullptr;
  std::atomic<bool> cancelled_{false};
  std::atomic<std::uint64_t> progress_events_{0};
  std::atomic<std::int64_t> progress_blocked_ns_{0};
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::size_t> waiting_{0};  // queued on the arena, not yet taken by a worker
  // Mapped files that shrank under a reader, in this process, when the run started.
  std::uint64_t mapped_file_faults_at_start_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t done_ = 0;
  std::exception_ptr error_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::vector<Task*> due_;  // wait's, between rounds
  std::function<Clock::time_point(Clock::time_point)> ticker_;
  std::function<void(RunProgress&)> progress_detail_;
  std::atomic<MemoryPressure> pressure_now_{MemoryPressure::normal};
  std::atomic<std::size_t> peak_rss_now_{0};
  std::atomic<std::uint64_t> source_throttles_{0};
  std::atomic<std::uint64_t> source_pauses_{0};
  // Since when pressure has been critical, and the source pauses counted then (wait's).
  std::optional<Clock::time_point> critical_since_;
  std::uint64_t pauses_when_critical_ = 0;
  // Samples the memory monitor; fails the run once the sources stayed paused at critical
  // longer than the limit. wait()'s thread, `lock` held.
  void sample_memory(std::unique_lock<std::mutex>& lock, Clock::time_point now);
  std::function<bool(Clock::time_point)> before_stop_;
};

}  // namespace sw::runtime
