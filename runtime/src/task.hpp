// Internal: a task is one instance of a chain of fused nodes, run as an actor.
#pragma once

#include <concurrentqueue/concurrentqueue.h>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "channel.hpp"
#include "checkpoint/barrier_alignment.hpp"
#include "checkpoint/in_flight_capture.hpp"
#include "checkpoint/snapshot.hpp"
#include "live_figures.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/output.hpp"
#include "streamweave/serde/memory_monitor.hpp"

namespace sw::runtime {

class RunContext;
class CheckpointCoordinator;

// Where a ChannelSender's target is: the consumer instance's channel (null for an instance
// on another rank, which a forward edge never sends to), with this producer's index on it.
struct ChannelTarget {
  Channel* channel = nullptr;
  std::uint32_t producer = 0;
};

// The channel exchange's BatchSender: the channels of one edge's consumer instances, with this
// producer's tokens (one producer stream per channel keeps its FIFO order). The producer's
// task only.
class ChannelSender final : public BatchSender {
 public:
  // `slot`: this producer's input slot at every consumer instance of the edge.
  ChannelSender(std::vector<ChannelTarget> targets, std::uint32_t slot);
  [[nodiscard]] std::size_t targets() const noexcept override { return targets_.size(); }
  void send(std::size_t target, BatchRef batch) override;
  void send_end(std::size_t target) override;
  void send_watermark(std::size_t target, EventTime time) override;
  void send_barrier(std::size_t target, std::uint64_t checkpoint) override;

 private:
  void push(std::size_t target, Signal signal);  // stamped with this producer's slot

  std::vector<ChannelTarget> targets_;
  std::uint32_t slot_;
  std::vector<std::optional<moodycamel::ProducerToken>> tokens_;
};

// Room on an output that is not a channel of this process (distributed mode: the credits a
// consumer on another rank granted). The task checks it before each event, like its channels.
class OutputGate {
 public:
  virtual ~OutputGate() = default;
  // As ChannelShares::has_room: seq_cst against the task's state changes. Any thread.
  [[nodiscard]] virtual bool has_room() const noexcept = 0;
  // The task parks because this gate is closed. The producing task.
  virtual void stalled() noexcept = 0;
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
  std::size_t index = 0;  // in RunContext::tasks
  std::vector<std::unique_ptr<OperatorInstance>> ops;
  std::vector<NodeId> op_nodes;        // the node of each of ops
  OperatorInstance* source = nullptr;  // the head, when it is a source
  InputBase* head_input = nullptr;     // the head's input, otherwise
  std::unique_ptr<Channel> input;      // otherwise: from the producers of this process
  Clock::duration idle_timeout{0};     // RunOptions::idle_timeout; set before set_input_slots
  std::vector<std::unique_ptr<CollectorBase>> collectors;
  std::vector<std::chrono::microseconds> collector_linger;  // of the node each one serves
  std::vector<std::unique_ptr<BatchSender>> senders;
  std::vector<ChannelPort> outputs;
  std::vector<OutputGate*> gates;  // distributed mode: consumers on other ranks
  InstanceMetrics* head_metrics = nullptr;
  std::size_t batch_size = 1024;  // of the head, for sources
  double max_rate = 0;            // a source's items per second (RunOptions::source_rate); 0: any
  std::size_t budget = 16;
  CheckpointCoordinator* checkpoints = nullptr;  // set when the run takes checkpoints
  // CheckpointOptions::alignment_timeout, when checkpoints may pass this task unaligned.
  std::optional<Clock::duration> alignment_timeout;
  std::vector<InputSlot> input_slots;  // where each input slot comes from
  // Set when the run shows live figures (metrics server, progress line); before the run.
  std::unique_ptr<LiveFigures> live;

  // The task hears `n` producers (input slots), each ending once. Build time.
  void set_input_slots(std::size_t n);
  // The task sends on `channel`: registers it as a producer there (once) and returns the
  // port to push through. Build time.
  ChannelPort output_to(ChannelShares& channel);
  // The task also takes events from `receiver` (its channel is added by the channel exchange).
  // Build time.
  void add_receiver(Receiver& receiver) { receivers_.push_back(&receiver); }

  [[nodiscard]] std::size_t chain() const noexcept { return chain_; }
  [[nodiscard]] unsigned instance() const noexcept { return instance_; }
  [[nodiscard]] std::int64_t busy_ns() const noexcept { return busy_ns_; }
  [[nodiscard]] std::int64_t blocked_ns() const noexcept { return blocked_ns_; }
  // Clears the armed flag so the linger timer can be armed again (timer side).
  void timer_fired() noexcept { timer_armed_.store(false, std::memory_order_release); }

  // Checkpoints. A source task injects barrier `id` at its next step. The coordinator.
  void request_barrier(std::uint64_t id) noexcept {
    barrier_requested_.store(id, std::memory_order_release);
    wake();
  }
  // A restored task takes `event` before anything its inputs send (an unaligned checkpoint's
  // in-flight batch), after those given before. Before the run starts.
  void replay_first(Event event) { replay_.push_back(std::move(event)); }
  // Restore: a batch saved in flight into ops[op], a node fused behind the head since the
  // checkpoint; pushed at the first step, before anything else. Before the run starts.
  void replay_into(std::size_t op, BatchRef batch) {
    replay_into_.emplace_back(op, std::move(batch));
  }
  // Checkpoint `id` completed: the task's instances hear it at its next step. The coordinator.
  void checkpoint_completed(std::uint64_t id) noexcept {
    completed_.store(id, std::memory_order_release);
    wake();
  }

 private:
  enum State : std::uint8_t { kIdle, kQueued, kRunning, kRerun, kDone };

  void step();
  [[nodiscard]] bool outputs_have_room() const noexcept;
  void park(Clock::time_point now) noexcept;
  // The next event from the receivers, in turn; false when none has one.
  bool pull(Event& event);
  [[nodiscard]] bool input_waiting() const noexcept;
  void take(Event& event);
  // Input slot `slot` is at `time`: passes on a new minimum over the slots.
  void advance(std::uint32_t slot, EventTime time);
  // Passes on the minimum over the slots (not counting idle ones) if it moved forward; with an
  // idle timeout, sets a timer for when a slot that holds the minimum back turns idle.
  void update_watermark();
  void end_of(std::uint32_t slot);
  void saw(std::uint32_t slot);
  // Checkpoints: completions, a source's barrier request, and an alignment that has waited
  // alignment_timeout, heard at each step.
  void hear_checkpoints();
  void take_barrier(std::uint32_t slot, std::uint64_t id);
  void hold(Event& event);
  void aligned();
  // The alignment in progress has waited alignment_timeout: the checkpoint passes unaligned
  // when every slot it waits for can save its batches and the coordinator lets it.
  void give_up_alignment();
  void unaligned_done();
  // Snapshots the instances and passes barrier `id` on; returns the snapshots.
  std::vector<InstanceSnapshot> pass_barrier(std::uint64_t id);
  // Snapshots the instances, passes barrier `id` on, acknowledges it.
  void checkpoint(std::uint64_t id, Clock::duration aligning);
  // The state of each instance that saves state, for checkpoint `id` (0: a finished task's
  // final state).
  [[nodiscard]] std::vector<InstanceSnapshot> snapshots(std::uint64_t id);
  void report_finished() noexcept;
  void flush_lingering(Clock::time_point now);

  RunContext* run_;
  std::size_t chain_;
  unsigned instance_;
  std::atomic<std::uint8_t> state_{kIdle};
  std::atomic<bool> timer_armed_{false};
  std::vector<Receiver*> receivers_;
  std::size_t next_receiver_ = 0;
  std::size_t ends_seen_ = 0;
  std::vector<EventTime> slot_watermarks_;          // per input slot; kMaxEventTime once it ended
  EventTime watermark_in_ = kMinEventTime;          // the last one passed to head_input
  std::vector<Clock::time_point> slot_seen_;        // when each slot last sent (idle_timeout only)
  std::optional<Clock::time_point> idle_check_at_;  // the idle timer, when one is set
  bool finished_ = false;
  bool more_work_ = false;
  bool idle_owed_ = false;  // work was done since the instances last heard on_idle()
  std::optional<Clock::time_point> blocked_since_;
  std::int64_t busy_ns_ = 0;
  std::int64_t blocked_ns_ = 0;
  std::optional<Clock::time_point> rate_start_;  // max_rate: when the source began
  Clock::time_point publish_due_{};              // when `live` is next brought up to date
  bool publish_owed_ = false;                    // steps ran since `live` was
  void publish(Clock::time_point now) noexcept;  // into `live`, when it is due
  // A step ran from `start` to `end`: its time, a source's events, the live figures.
  void account(Clock::time_point start, Clock::time_point end,
               std::uint64_t emitted_before) noexcept;
  std::atomic<std::uint64_t> barrier_requested_{0};
  std::uint64_t barrier_sent_ = 0;
  std::atomic<std::uint64_t> completed_{0};
  std::uint64_t completed_heard_ = 0;
  BarrierAlignment alignment_;
  std::uint64_t stays_aligned_ = 0;  // the checkpoint give_up_alignment() kept aligned
  InFlightCapture capture_;
  std::deque<Event> replay_;  // held while aligning; taken before the receivers
  std::vector<std::pair<std::size_t, BatchRef>> replay_into_;  // see replay_into()
  void before_inputs();  // step's first duties: checkpoint barriers, replay_into()'s batches
  // How many items the source may produce now under max_rate (batch_size when unlimited);
  // 0 after setting a timer for when it may go on.
  std::size_t rate_allowance(Clock::time_point now);
  // One produce() of the head source, within its rate and the memory pressure: `more` when
  // it may produce again at once, `wait` when a timer (or a barrier, or a stop) wakes it.
  enum class Produced : std::uint8_t { more, wait, ended };
  Produced produce_once();
  // Whether a source may produce at `pressure` (high or critical); if not, sets a timer.
  bool pressure_lets_produce(MemoryPressure pressure);
  bool throttle_turn_ = false;  // a channel-less source at high pressure: stepped since waiting
};

}  // namespace sw::runtime
