// How a graph is run: where (in this process or across MPI ranks), on how many workers, for
// how long, with which defaults for the nodes that set none. Plain values: build them
// anywhere, copy them freely.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "streamweave/engine/options.hpp"
#include "streamweave/runtime/checkpoint_options.hpp"
#include "streamweave/runtime/distributed_options.hpp"
#include "streamweave/runtime/metrics_options.hpp"
#include "streamweave/serde/buffer_pool.hpp"
#include "streamweave/serde/memory_monitor.hpp"

namespace sw {

// Cancels a running graph from any thread. Copies share one flag.
class CancelToken {
 public:
  CancelToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  void cancel() const noexcept { flag_->store(true, std::memory_order_release); }
  [[nodiscard]] bool cancelled() const noexcept { return flag_->load(std::memory_order_acquire); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

// Where a graph runs: in this process only, or across the MPI ranks the program was started
// on (`mpirun -np N prog`; a program started without mpirun is one rank). Chosen per run.
enum class Mode : std::uint8_t { in_process, distributed };

[[nodiscard]] constexpr const char* to_string(Mode mode) noexcept {
  return mode == Mode::in_process ? "inprocess" : "distributed";
}

// What a running graph has done so far (RunOptions::on_progress). In distributed mode, this
// rank's share.
struct RunProgress {
  std::uint64_t events = 0;  // items the sources emitted so far
  double elapsed_seconds = 0;
  double events_per_second = 0;  // since the previous call
  double blocked_share = 0;      // of the tasks' time so far, the share parked on full outputs
  // How far the least advanced watermark of any node is behind the wall clock, with event
  // time in MetricsOptions::event_time_unit since the epoch; unset before any watermark.
  std::optional<double> watermark_lag_seconds{};
  std::uint64_t last_checkpoint = 0;       // the last complete one (0: none yet)
  double last_checkpoint_age_seconds = 0;  // how long ago it completed
};

// The most workers a run takes: a larger setting is a GraphError. Channels keep a producer
// token per producing instance, so a run's start-up grows with the square of its parallelism.
inline constexpr unsigned kMaxThreads = 1024;

// How a graph is executed. `threads == 0` means one worker per hardware thread (in
// distributed mode: per hardware thread shared by the ranks on this machine).
struct RunOptions {
  Mode mode = Mode::in_process;
  unsigned threads = 0;
  std::size_t batch_size = 1024;
  std::chrono::microseconds linger{1000};
  std::size_t channel_capacity = 16;
  // Batches (or source steps) a task handles before it yields its thread to other tasks.
  std::size_t step_budget = 16;
  // Stop the graph after this long; run() then returns a report marked cancelled.
  std::optional<std::chrono::milliseconds> deadline{};
  std::optional<CancelToken> cancel{};
  // Batches take their item storage from BufferPool::global() (set up from the
  // STREAMWEAVE_BUFFER_POOL_* variables), or from a pool of these settings made for the run.
  std::optional<BufferPoolOptions> buffer_pool{};
  // Thresholds of the memory monitor sampled during the run (default: MemoryLimits::from_env()).
  std::optional<MemoryLimits> memory{};
  DistributedOptions distributed{};
  // Checkpoints and exactly-once output (unset directory: none).
  CheckpointOptions checkpoints{};
  // Event time: an input of a node that sent nothing (no items, no watermark) for this long
  // stops holding back the node's watermark until it sends again, so one quiet input does not
  // stall the windows after it (Flink's idleness). 0: an input is never idle.
  std::chrono::milliseconds idle_timeout{0};
  // Each source emits at most this many items per second (all its instances together, each
  // instance its share), paced by timers, not by sleeping workers. 0: as fast as it can.
  double source_rate = 0;
  // Called every progress_interval while the graph runs, from the thread that called run()
  // (never concurrently with itself); e.g. a progress line. Unset: not called.
  std::function<void(const RunProgress&)> on_progress{};
  std::chrono::milliseconds progress_interval{500};
  // Live metrics over HTTP while the graph runs (unset port: none).
  MetricsOptions metrics{};
};

// The number of workers `threads` resolves to on this machine.
[[nodiscard]] unsigned resolved_threads(const RunOptions& options) noexcept;

// The defaults a plan gives nodes that set none, for a run of `options` over `workers`
// workers in all (threads × ranks in distributed mode).
[[nodiscard]] PlanDefaults plan_defaults(const RunOptions& options, unsigned workers) noexcept;

}  // namespace sw
