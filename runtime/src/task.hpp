// Internal: a task is one instance of a chain of fused nodes, run as an actor.
#pragma once

#include <concurrentqueue/concurrentqueue.h>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "channel.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/output.hpp"

namespace sw::runtime {

class RunContext;

// The runtime's BatchSender: the channels of one edge's consumer instances, with this
// producer's tokens (one producer stream per channel keeps its FIFO order). In distributed
// mode a target on another rank has no channel: a forward edge only sends to its own instance.
class ChannelSender final : public BatchSender {
 public:
  // `slot`: this producer's input slot at every consumer instance of the edge.
  ChannelSender(std::vector<ChannelPort> targets, std::uint32_t slot);
  [[nodiscard]] std::size_t targets() const noexcept override { return targets_.size(); }
  void send(std::size_t target, BatchRef batch) override;
  void send_end(std::size_t target) override;
  void send_watermark(std::size_t target, EventTime time) override;

 private:
  void push(std::size_t target, Event event);  // stamped with this producer's slot

  std::vector<ChannelPort> targets_;
  std::uint32_t slot_;
  std::vector<std::optional<moodycamel::ProducerToken>> tokens_;
};

// Distributed mode: the frames one rank has in flight on one channel to another rank, against
// the credits the consumer granted. Producers count up; the communication thread counts down
// as credits come back and wakes the producers parked on it.
struct CreditWindow {
  std::atomic<std::int64_t> in_flight{0};
  std::int64_t credits = 16;
  std::vector<Task*> producers;  // local tasks that send on it (build time)
  std::atomic<std::uint64_t> stalls{0};
  std::atomic<std::int64_t> peak{0};

  [[nodiscard]] bool has_room() const noexcept {
    return in_flight.load(std::memory_order_seq_cst) < credits;  // as Channel::has_room
  }
  void sent() noexcept {
    const std::int64_t now = in_flight.fetch_add(1, std::memory_order_acq_rel) + 1;
    std::int64_t peak_seen = peak.load(std::memory_order_relaxed);
    while (now > peak_seen && !peak.compare_exchange_weak(peak_seen, now)) {
    }
  }
  // Credits came back: wakes the producers if the window had been full. Comm thread.
  void returned(std::int64_t n) noexcept;
};

class Task {
 public:
  Task(RunContext& run, std::size_t chain, unsigned instance) noexcept
      : run_(&run), chain_(chain), instance_(instance) {}

  // Makes the task run soon. Any thread; idempotent while the task is queued or running.
  void wake() noexcept;
  // Runs the task until it has nothing to do, its budget is spent, or it finishes. Called
  // by the scheduler only; never concurrently with itself.
  void run() noexcept;

  // Set up by the executor before the run starts.
  std::vector<std::unique_ptr<OperatorInstance>> ops;
  OperatorInstance* source = nullptr;  // the head, when it is a source
  InputBase* head_input = nullptr;     // the head's input, otherwise
  std::unique_ptr<Channel> input;
  Clock::duration idle_timeout{0};  // RunOptions::idle_timeout; set before set_input_slots
  std::vector<std::unique_ptr<CollectorBase>> collectors;
  std::vector<std::chrono::microseconds> collector_linger;  // of the node each one serves
  std::vector<std::unique_ptr<BatchSender>> senders;
  std::vector<ChannelPort> outputs;
  std::vector<CreditWindow*> windows;  // distributed mode: remote channels it sends on
  CreditReturn* credits = nullptr;     // distributed mode: where consumed remote events go
  InstanceMetrics* head_metrics = nullptr;
  std::size_t batch_size = 1024;  // of the head, for sources
  double max_rate = 0;            // a source's items per second (RunOptions::source_rate); 0: any
  std::size_t budget = 16;

  // The task hears `n` producers (input slots), each ending once. Build time.
  void set_input_slots(std::size_t n);
  // The task sends on `channel`: registers it as a producer there (once) and returns the
  // port to push through. Build time.
  ChannelPort output_to(Channel& channel);

  [[nodiscard]] std::size_t chain() const noexcept { return chain_; }
  [[nodiscard]] unsigned instance() const noexcept { return instance_; }
  [[nodiscard]] std::int64_t busy_ns() const noexcept { return busy_ns_; }
  [[nodiscard]] std::int64_t blocked_ns() const noexcept { return blocked_ns_; }
  // Clears the armed flag so the linger timer can be armed again (timer side).
  void timer_fired() noexcept { timer_armed_.store(false, std::memory_order_release); }

 private:
  enum State : std::uint8_t { kIdle, kQueued, kRunning, kRerun, kDone };

  void step();
  [[nodiscard]] bool outputs_have_room() const noexcept;
  void park(Clock::time_point now) noexcept;
  void take(Event& event);
  // Input slot `slot` is at `time`: passes on a new minimum over the slots.
  void advance(std::uint32_t slot, EventTime time);
  // Passes on the minimum over the slots (not counting idle ones) if it moved forward; with an
  // idle timeout, sets a timer for when a slot that holds the minimum back turns idle.
  void update_watermark();
  void end_of(std::uint32_t slot);
  void saw(std::uint32_t slot);
  void flush_lingering(Clock::time_point now);

  RunContext* run_;
  std::size_t chain_;
  unsigned instance_;
  std::atomic<std::uint8_t> state_{kIdle};
  std::atomic<bool> timer_armed_{false};
  std::optional<moodycamel::ConsumerToken> consumer_token_;
  std::size_t ends_seen_ = 0;
  std::vector<EventTime> slot_watermarks_;          // per input slot; kMaxEventTime once it ended
  EventTime watermark_in_ = kMinEventTime;          // the last one passed to head_input
  std::vector<Clock::time_point> slot_seen_;        // when each slot last sent (idle_timeout only)
  std::optional<Clock::time_point> idle_check_at_;  // the idle timer, when one is set
  bool finished_ = false;
  bool more_work_ = false;
  std::optional<Clock::time_point> blocked_since_;
  std::int64_t busy_ns_ = 0;
  std::int64_t blocked_ns_ = 0;
  std::optional<Clock::time_point> rate_start_;  // max_rate: when the source began
  // How many items the source may produce now under max_rate (batch_size when unlimited);
  // 0 after setting a timer for when it may go on.
  std::size_t rate_allowance(Clock::time_point now);
};

}  // namespace sw::runtime
