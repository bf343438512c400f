#include "run_context.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <thread>

#include "streamweave/serde/mapped_file.hpp"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
// libtbb is not built with ThreadSanitizer, so the hand-off of a task from the thread that
// enqueues it to the worker that runs it is invisible to TSan; say it explicitly.
#define SW_TSAN_RELEASE(addr) __tsan_release(addr)
#define SW_TSAN_ACQUIRE(addr) __tsan_acquire(addr)
#else
#define SW_TSAN_RELEASE(addr) (void)(addr)
#define SW_TSAN_ACQUIRE(addr) (void)(addr)
#endif

namespace sw::runtime {

RunContext::RunContext(unsigned threads, const RunOptions& options)
    : own_buffers_(options.buffer_pool ? std::make_unique<BufferPool>(*options.buffer_pool)
                                       : nullptr),
      buffers_(own_buffers_ ? own_buffers_.get() : &BufferPool::global()),
      buffers_at_start_(buffers_->stats()),
      monitor_(*buffers_, options.memory ? *options.memory : MemoryLimits::from_env()),
      // TBB counts the calling thread in max_allowed_parallelism; it does no work here, so
      // allow one more, and reserve no arena slot for it: `threads` workers do the work.
      workers_(oneapi::tbb::global_control::max_allowed_parallelism, threads + 1),
      arena_(static_cast<int>(threads), 0),
      mapped_file_faults_at_start_(mapped_file_faults()) {}

RunContext::~RunContext() {
  // Tasks are destroyed before pools (member order); nothing may still run a task.
  while (in_flight_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
}

void RunContext::schedule(Task& task) {
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  if (runner_ != nullptr) {
    runner_->enqueue(task);
    return;
  }
  SW_TSAN_RELEASE(&task);
  waiting_.fetch_add(1, std::memory_order_relaxed);
  arena_.enqueue(ArenaHandoff{this, &task});
}

void RunContext::execute(Task& task) noexcept {
  SW_TSAN_ACQUIRE(&task);
  task.run();
  in_flight_.fetch_sub(1, std::memory_order_release);  // the last touch of this run
}

void ArenaHandoff::operator()() const {
  run_context().took_one();
  run_context().execute(target());
}

void RunContext::wake_at(Task& task, Clock::time_point when) {
  std::lock_guard lock(mutex_);
  const bool earliest = timers_.empty() || when < timers_.top().when;
  timers_.push(Timer{when, &task});
  if (earliest) changed_.notify_one();
}

void RunContext::task_done() noexcept {
  std::lock_guard lock(mutex_);
  ++done_;
  changed_.notify_one();
}

void RunContext::fail(std::exception_ptr error) noexcept {
  {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::move(error);
  }
  cancel();
}

void RunContext::cancel() noexcept {
  if (cancelled_.exchange(true, std::memory_order_acq_rel)) return;
  for (auto& task : tasks) task->wake();
}

void RunContext::check_mapped_files() noexcept {
  if (mapped_file_faults() == mapped_file_faults_at_start_) return;
  try {
    throw FileShrunk(last_mapped_file_fault());
  } catch (...) {
    fail(std::current_exception());
  }
}

std::exception_ptr RunContext::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

namespace {

constexpr auto kTokenPoll = std::chrono::milliseconds(5);
// A fast source fills gigabytes a second: the memory limits act on a sample this old at most.
// (One costs a read of /proc/self/statm, a few microseconds.)
constexpr auto kMemorySample = std::chrono::milliseconds(10);

// When RunOptions::on_progress is next due, and the figures since its last call.
class ProgressTimer {
 public:
  ProgressTimer(const RunOptions& options, Clock::time_point started)
      : interval_(std::max(options.progress_interval, std::chrono::milliseconds(10))),
        started_(started),
        last_(started),
        next_(options.on_progress ? started + interval_ : Clock::time_point::max()) {}

  [[nodiscard]] Clock::time_point next() const noexcept { return next_; }

  RunProgress take(Clock::time_point now, std::uint64_t events, std::int64_t blocked_ns,
                   std::size_t tasks) {
    RunProgress progress;
    progress.events = events;
    progress.elapsed_seconds = std::chrono::duration<double>(now - started_).count();
    const double since = std::chrono::duration<double>(now - last_).count();
    progress.events_per_second =
        since > 0 ? static_cast<double>(events - events_at_last_) / since : 0;
    const double task_seconds = progress.elapsed_seconds * static_cast<double>(tasks);
    progress.blocked_share =
        task_seconds > 0 ? static_cast<double>(blocked_ns) * 1e-9 / task_seconds : 0;
    events_at_last_ = events;
    last_ = now;
    next_ = now + interval_;
    return progress;
  }

 private:
  std::chrono::milliseconds interval_;
  Clock::time_point started_;
  Clock::time_point last_;
  Clock::time_point next_;
  std::uint64_t events_at_last_ = 0;
};

}  // namespace

void RunContext::sample_memory(std::unique_lock<std::mutex>& lock, Clock::time_point now) {
  const MemoryPressure level = monitor_.sample();  // trims the pool
  pressure_now_.store(level, std::memory_order_relaxed);
  peak_rss_now_.store(monitor_.peak_rss_bytes(), std::memory_order_relaxed);
  if (level != MemoryPressure::critical) {
    critical_since_.reset();
  } else if (!critical_since_) {
    critical_since_ = now;
    pauses_when_critical_ = source_pauses();
  } else if (now - *critical_since_ >=
                 std::chrono::milliseconds(monitor_.limits().critical_pause_limit_ms) &&
             source_pauses() > pauses_when_critical_ && !cancelled()) {
    // Sources that finished are not paused: a run that only drains is let finish.
    const auto mib = [](std::size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; };
    const std::uint64_t limit_ms = monitor_.limits().critical_pause_limit_ms;
    const std::string message =
        "memory pressure stayed critical for " +
        (limit_ms % 1000 == 0 ? std::to_string(limit_ms / 1000) + " s"
                              : std::to_string(limit_ms) + " ms") +
        " with the sources paused: resident " + mib(process_rss_bytes()) +
        " against a critical limit of " + mib(monitor_.limits().critical_rss_bytes) +
        " (STREAMWEAVE_MEMORY_CRITICAL_RSS_BYTES). What the job holds does not fall without "
        "new input: raise the limit, or give the job less to hold (fewer keys, shorter "
        "windows)";
    unlocked(lock, [&] { fail(std::make_exception_ptr(MemoryExhausted(message))); });
  }
  unlocked(lock, [this] { check_mapped_files(); });
}

bool RunContext::wait(const RunOptions& options, Clock::time_point started) {
  ProgressTimer progress(options, started);
  Clock::time_point next_sample = started;
  Clock::time_point next_tick = ticker_ ? started : Clock::time_point::max();
  std::optional<Clock::time_point> deadline;
  if (options.deadline) deadline = started + *options.deadline;
  bool stopped_early = false;
  bool stop_asked = false;  // waiting for before_stop_ to let the run stop

  std::unique_lock lock(mutex_);
  while (done_ < tasks.size()) {
    Clock::time_point wake = timers_.empty() ? Clock::time_point::max() : timers_.top().when;
    if (deadline && *deadline < wake && !stop_asked) wake = *deadline;
    if ((options.cancel || stop_asked) && !stopped_early)
      wake = std::min(wake, Clock::now() + kTokenPoll);
    wake = std::min({wake, next_sample, progress.next(), next_tick});
    if (wake == Clock::time_point::max()) {
      changed_.wait(lock);
    } else {
      changed_.wait_until(lock, wake);
    }
    const Clock::time_point now = Clock::now();
    if (now >= next_sample) {
      next_sample = now + kMemorySample;
      sample_memory(lock, now);
    }
    if (now >= next_tick && !cancelled()) {
      unlocked(lock, [&] { next_tick = ticker_(now); });
    }
    if (now >= progress.next()) {
      RunProgress figures =
          progress.take(now, progress_events_.load(std::memory_order_relaxed),
                        progress_blocked_ns_.load(std::memory_order_relaxed), tasks.size());
      unlocked(lock, [&] {
        try {
          if (progress_detail_) progress_detail_(figures);
          options.on_progress(figures);
        } catch (...) {
          fail(std::current_exception());  // a failing progress display fails the run, cleanly
        }
      });
      continue;  // timers and stop conditions are checked on the next round, at once
    }
    bool stop = !stopped_early &&
                ((deadline && now >= *deadline) || (options.cancel && options.cancel->cancelled()));
    if (stop && before_stop_ && !cancelled()) {
      stop_asked = true;
      unlocked(lock, [&] { stop = before_stop_(now); });
    }
    stopped_early = fire_timers(lock, now, stop) || stopped_early;
  }
  lock.unlock();
  while (in_flight_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  (void)monitor_.sample();
  check_mapped_files();
  return stopped_early;
}

bool RunContext::fire_timers(std::unique_lock<std::mutex>& lock, Clock::time_point now, bool stop) {
  due_.clear();
  while (!timers_.empty() && timers_.top().when <= now) {
    due_.push_back(timers_.top().task);
    timers_.pop();
  }
  if (due_.empty() && !stop) return false;
  bool stopped_early = false;
  unlocked(lock, [&] {
    for (Task* task : due_) {
      task->timer_fired();
      task->wake();
    }
    if (stop) {
      stopped_early = !cancelled();
      cancel();
    }
  });
  return stopped_early;
}

}  // namespace sw::runtime
