// Settings of a node and of a run. Plain values: build them anywhere, copy them freely.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "streamweave/serde/buffer_pool.hpp"
#include "streamweave/serde/memory_monitor.hpp"

namespace sw {

using Clock = std::chrono::steady_clock;

// What a node does when a user function throws on an item.
class ErrorPolicy {
 public:
  enum class Kind : std::uint8_t {
    stop,  // the first error cancels the whole graph; run() throws a PipelineError
    // The item is dropped and counted in the report, which names the first few; past
    // max_errors skipped items (by the node's instances in this process) the graph stops.
    skip,
    retry,        // the call is repeated up to `attempts` more times, then the graph stops
    dead_letter,  // the item and its error go to the node's dead-letter stream
  };

  [[nodiscard]] static constexpr ErrorPolicy stop() noexcept { return {Kind::stop, 0}; }
  static constexpr std::uint64_t kUnlimited = ~std::uint64_t{0};

  [[nodiscard]] static constexpr ErrorPolicy skip(std::uint64_t max_errors = kUnlimited) noexcept {
    return {Kind::skip, max_errors};
  }
  [[nodiscard]] static constexpr ErrorPolicy retry(unsigned attempts) noexcept {
    return {Kind::retry, attempts};
  }
  [[nodiscard]] static constexpr ErrorPolicy dead_letter() noexcept {
    return {Kind::dead_letter, 0};
  }

  [[nodiscard]] constexpr Kind kind() const noexcept { return kind_; }
  [[nodiscard]] constexpr unsigned attempts() const noexcept {
    return kind_ == Kind::retry ? static_cast<unsigned>(limit_) : 0;
  }
  // skip: the most items skipped before the graph stops (kUnlimited: no limit).
  [[nodiscard]] constexpr std::uint64_t max_errors() const noexcept {
    return kind_ == Kind::skip ? limit_ : kUnlimited;
  }
  [[nodiscard]] std::string to_string() const;
  friend constexpr bool operator==(const ErrorPolicy&, const ErrorPolicy&) = default;

 private:
  constexpr ErrorPolicy(Kind kind, std::uint64_t limit) noexcept : kind_(kind), limit_(limit) {}
  Kind kind_;
  std::uint64_t limit_;  // retry: attempts; skip: max_errors
};

// Per-node settings. Unset values fall back to the graph's defaults, then to RunOptions.
struct NodeOptions {
  std::optional<unsigned> parallelism{};              // instances of the node; 0 is an error
  std::optional<std::size_t> batch_size{};            // items per output batch
  std::optional<std::chrono::microseconds> linger{};  // longest a partial output batch waits
  std::optional<std::size_t> channel_capacity{};      // batches queued on each input channel
  ErrorPolicy errors = ErrorPolicy::stop();
  // false: the node gets its own task, never fused with its producer or consumer — to put
  // a slow or blocking operator on its own worker, or to measure a channel hop.
  bool chain = true;
};

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

// Which exchange frames checksum their payload (DistributedOptions::payload_checksum).
enum class PayloadChecksum : std::uint8_t {
  always,
  // Only frames to a rank on another machine: within a machine MPI moves frames through
  // shared memory, and frames within a rank are handed over in memory.
  between_hosts,
  never,
};

[[nodiscard]] constexpr const char* to_string(PayloadChecksum checksum) noexcept {
  switch (checksum) {
    case PayloadChecksum::always:
      return "always";
    case PayloadChecksum::between_hosts:
      return "between-hosts";
    case PayloadChecksum::never:
      return "never";
  }
  return "?";
}

// Settings of distributed mode (docs/distributed.md); ignored in process.
struct DistributedOptions {
  // A frame is closed once its payload reaches this many bytes (batches larger than that are
  // split); frames larger than max_frame_bytes are refused on both sides.
  std::size_t frame_bytes = 256u << 10;
  std::size_t max_frame_bytes = 8u << 20;
  // Frames one rank may have in flight on one channel (edge, consumer instance) before it
  // waits for the consumer to free buffers; 0: the node's channel capacity.
  std::size_t credits = 0;
  // Bytes and Str values of this many bytes and up cross to another rank without being copied
  // into the frame: MPI sends them from where they are (0: always copied). Within a rank every
  // value is copied into the frame, so each exchange edge still exercises its codec.
  std::size_t splice_bytes = 4u << 10;
  // With one worker thread per rank (RunOptions::threads, or the cores shared by the ranks on
  // a machine), the rank's tasks run on its communication thread, between its MPI calls,
  // instead of on a worker of their own: two busy threads on one core took turns several
  // times per frame. A task step holds the MPI calls back for at most about a millisecond;
  // set false for operators that block for longer. Ignored without mpirun (no such thread)
  // and when a machine has more ranks than hardware threads.
  bool tasks_on_comm_thread = true;
  // After its last progress (a message sent, received or completed, a task run), the
  // communication thread keeps polling MPI this long, yielding between polls, before it
  // backs off into short sleeps: a frame that arrives meanwhile is taken at once. Longer
  // costs idle CPU after each burst of traffic; 0 sleeps as soon as nothing is under way, as
  // it always does when a machine has more ranks than hardware threads.
  std::chrono::microseconds poll_window{500};
  // Which frames' checksums (CRC32C) cover their payload as well as their header; a payload
  // corrupted on the way is then an error naming the peer and the edge. The header is always
  // checksummed. Leaving payloads out (as Kafka's check.crcs=false does) gave about a fifth
  // more exchange throughput at 64 KiB frames between two ranks of one machine
  // (docs/benchmarks.md), where the CRC is taken twice per frame, but a corrupted payload is
  // then detected only if it no longer decodes. The sender decides per frame (the frame says
  // which); receivers read both.
  PayloadChecksum payload_checksum = PayloadChecksum::always;
  // Failure detection: every rank's communication thread sends each peer a heartbeat this
  // often, and a peer from which nothing has come for heartbeat_timeout is lost (SIGSTOP, a
  // hung host, a cut link — nothing mpirun notices): run() throws PeerLost naming its rank
  // and host. A pause shorter than the timeout (a slow host, a long GC) is not a failure.
  // 0 turns detection off.
  std::chrono::milliseconds heartbeat_interval{500};
  std::chrono::milliseconds heartbeat_timeout{5000};
  // Test hook: called on the sending rank's workers with each encoded frame (edge index, target
  // rank, the frame's bytes) before it leaves; it may change the bytes, to inject corruption.
  // While it is set, nothing is spliced (the hook sees every frame in one buffer).
  std::function<void(std::size_t edge, unsigned target_rank, std::span<std::byte> frame)>
      frame_hook{};
};

// What a running graph has done so far (RunOptions::on_progress). In distributed mode, this
// rank's share.
struct RunProgress {
  std::uint64_t events = 0;  // items the sources emitted so far
  double elapsed_seconds = 0;
  double events_per_second = 0;  // since the previous call
  double blocked_share = 0;      // of the tasks' time so far, the share parked on full outputs
};

// The most workers a run takes, and the most items a batch holds: a larger setting is a
// GraphError. Channels keep a producer token per producing instance, so a run's start-up
// grows with the square of its parallelism; and a batch's storage is allocated whole.
inline constexpr unsigned kMaxThreads = 1024;
inline constexpr std::size_t kMaxBatchSize = std::size_t{1} << 24;

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
};

// The number of workers `threads` resolves to on this machine.
[[nodiscard]] unsigned resolved_threads(const RunOptions& options) noexcept;

}  // namespace sw
