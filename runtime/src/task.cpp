#include "task.hpp"

#include <algorithm>

#include "checkpoint/coordinator.hpp"
#include "run_context.hpp"

namespace sw::runtime {

namespace {
// A step also ends after this long, so a slow operator (or a producer that blocks) gives its
// worker to the other tasks even with only one worker in the arena.
constexpr Clock::duration kTimeSlice = std::chrono::milliseconds(1);
// How long a source waits after a step at high memory pressure, and between looks at critical.
constexpr Clock::duration kPressureThrottle = std::chrono::milliseconds(1);
constexpr Clock::duration kPressurePause = std::chrono::milliseconds(10);

std::int64_t nanos(Clock::duration d) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}
}  // namespace

ChannelSender::ChannelSender(std::vector<ChannelTarget> targets, std::uint32_t slot)
    : targets_(std::move(targets)), slot_(slot) {
  tokens_.resize(targets_.size());
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    if (targets_[i].channel != nullptr) tokens_[i].emplace(targets_[i].channel->queue());
  }
}

void ChannelSender::push(std::size_t target, Signal signal) {
  const ChannelTarget& to = targets_[target];
  to.channel->push(*tokens_[target], to.producer, Event{std::move(signal), slot_});
}

void ChannelSender::send(std::size_t target, BatchRef batch) {
  push(target, std::move(batch));
}

void ChannelSender::send_end(std::size_t target) {
  push(target, EndOfStream{});
}

void ChannelSender::send_watermark(std::size_t target, EventTime time) {
  push(target, Watermark{time});
}

void ChannelSender::send_barrier(std::size_t target, std::uint64_t checkpoint) {
  push(target, Barrier{checkpoint});
}

void Task::wake() noexcept {
  std::uint8_t state = state_.load(std::memory_order_seq_cst);
  for (;;) {
    if (state == kIdle) {
      if (state_.compare_exchange_weak(state, kQueued, std::memory_order_acq_rel)) {
        run_->schedule(*this);
        return;
      }
    } else if (state == kRunning) {
      if (state_.compare_exchange_weak(state, kRerun, std::memory_order_acq_rel)) return;
    } else {
      return;  // already queued, already asked to rerun, or done
    }
  }
}

void Task::run() noexcept {
  // An exchange, not a plain store: the store must not be reordered after step()'s first
  // reads of the channels (x86 lets a plain store wait in the store buffer past later
  // loads). Otherwise a consumer that frees room in between finds this task still "queued",
  // leaves it, and the task parks on a channel that is no longer full: a lost wake-up.
  (void)state_.exchange(kRunning, std::memory_order_seq_cst);
  for (;;) {
    try {
      step();
    } catch (...) {
      finished_ = true;
      run_->fail(std::current_exception());
    }
    if (finished_) {
      if (live) live->publish(busy_ns_, blocked_ns_, watermark_in_, true);
      if (checkpoints != nullptr) report_finished();
      state_.store(kDone, std::memory_order_release);
      run_->task_done();
      return;
    }
    if (more_work_) {
      // Budget spent with work left: yield the worker to other tasks, come back later. With
      // no other task waiting, go on here: re-queued, the task would move to whichever worker
      // is idle, away from its cache-warm state (pipeline P at parallelism 1 on 2 workers).
      if (run_->none_waiting()) continue;
      state_.store(kQueued, std::memory_order_release);
      run_->schedule(*this);
      return;
    }
    if (publish_owed_) {  // parking: what the last steps counted, for the live figures
      publish_owed_ = false;
      live->publish(busy_ns_, blocked_ns_, watermark_in_, false, false);
    }
    std::uint8_t expected = kRunning;
    if (state_.compare_exchange_strong(expected, kIdle, std::memory_order_acq_rel)) return;
    (void)state_.exchange(kRunning, std::memory_order_seq_cst);  // woken while running: again
  }
}

bool Task::outputs_have_room() const noexcept {
  return std::all_of(outputs.begin(), outputs.end(),
                     [](const ChannelPort& port) { return port.has_room(); }) &&
         std::all_of(gates.begin(), gates.end(), [](const OutputGate* g) { return g->has_room(); });
}

void Task::park(Clock::time_point now) noexcept {
  blocked_since_ = now;
  for (OutputGate* gate : gates) {
    if (!gate->has_room()) gate->stalled();
  }
}

bool Task::pull(Event& event) {
  if (!replay_.empty()) {
    event = std::move(replay_.front());
    replay_.pop_front();
    if (input) input->let_go(event.producer);
    return true;
  }
  // In turn, one event each: a busy receiver does not starve the others.
  for (std::size_t tried = 0; tried < receivers_.size(); ++tried) {
    Receiver& receiver = *receivers_[next_receiver_];
    if (++next_receiver_ == receivers_.size()) next_receiver_ = 0;
    if (receiver.pull(event)) return true;
  }
  return false;
}

bool Task::input_waiting() const noexcept {
  return !replay_.empty() || !replay_into_.empty() ||
         std::any_of(receivers_.begin(), receivers_.end(),
                     [](const Receiver* r) { return !r->empty(); });
}

void Task::take(Event& event) {
  if (alignment_.holds(event.slot)) {
    hold(event);
    return;
  }
  saw(event.slot);
  if (BatchRef* batch = std::get_if<BatchRef>(&event.signal)) {
    if (capture_.pending(event.slot)) {
      capture_.record(**batch, input_slots[event.slot], instance_, run_->buffer_pool());
    }
    ++head_metrics->batches_in;
    idle_owed_ = true;
    head_input->push_batch(std::move(*batch));
  } else if (const Watermark* mark = std::get_if<Watermark>(&event.signal)) {
    advance(event.slot, mark->time);
  } else if (const Barrier* barrier = std::get_if<Barrier>(&event.signal)) {
    take_barrier(event.slot, barrier->id);
  } else {
    end_of(event.slot);
  }
}

void Task::take_barrier(std::uint32_t slot, std::uint64_t id) {
  if (capture_.active() && capture_.id() == id) {
    if (capture_.arrived(slot)) unaligned_done();
  } else if (slot_watermarks_.size() == 1) {
    checkpoint(id, Clock::duration::zero());
  } else if (alignment_.arrive(slot, id)) {
    aligned();
  } else if (alignment_timeout) {
    if (*alignment_timeout == Clock::duration::zero()) {
      give_up_alignment();
    } else {
      run_->wake_at(*this, alignment_.started() + *alignment_timeout);
    }
  }
}

void Task::give_up_alignment() {
  const std::uint64_t id = *alignment_.aligning();
  if (capture_.active()) {  // an older one (it failed) still waits for a barrier: align this one
    stays_aligned_ = id;
    return;
  }
  std::vector<bool> pending(input_slots.size(), false);
  for (std::uint32_t s = 0; s < pending.size(); ++s) {
    if (!alignment_.waits_for(s)) continue;
    if (input_slots[s].codec == nullptr) {  // its batches cannot be saved: wait for it
      stays_aligned_ = id;
      return;
    }
    pending[s] = true;
  }
  // A savepoint stays aligned: it must restore with any parallelism.
  if (!checkpoints->may_go_unaligned(id)) {
    stays_aligned_ = id;
    return;
  }
  Clock::duration waited{};
  alignment_.finish(replay_, waited);  // what it held came after the barrier: taken as usual
  capture_.start(id, std::move(pending), pass_barrier(id), waited, run_->buffer_pool());
}

void Task::unaligned_done() {
  const std::uint64_t id = capture_.id();
  const std::exception_ptr error = capture_.error();
  Clock::duration waited{};
  std::vector<InstanceSnapshot> states = capture_.finish(op_nodes.front(), instance_, waited);
  if (error) states.clear();  // the checkpoint fails; the run goes on
  checkpoints->acknowledge(id, *this, std::move(states), waited, error);
}

void Task::hold(Event& event) {
  // Still counted in its producer's share: a producer whose barrier came first waits for the
  // others instead of filling this task's memory.
  if (input) input->retain(event.producer);
  alignment_.hold(std::move(event));
}

void Task::aligned() {
  Clock::duration waited{};
  const std::uint64_t id = alignment_.finish(replay_, waited);
  checkpoint(id, waited);
}

void Task::hear_checkpoints() {
  const std::uint64_t done = completed_.load(std::memory_order_acquire);
  if (done > completed_heard_) {
    completed_heard_ = done;
    for (auto& op : ops) op->on_checkpoint_complete(done);
  }
  if (alignment_timeout && alignment_.aligning() && *alignment_.aligning() != stays_aligned_ &&
      Clock::now() - alignment_.started() >= *alignment_timeout) {
    give_up_alignment();
  }
  if (source == nullptr) return;
  const std::uint64_t wanted = barrier_requested_.load(std::memory_order_acquire);
  if (wanted > barrier_sent_) checkpoint(wanted, Clock::duration::zero());
}

std::vector<InstanceSnapshot> Task::pass_barrier(std::uint64_t id) {
  barrier_sent_ = id;
  std::vector<InstanceSnapshot> states = snapshots(id);
  for (auto& collector : collectors) collector->barrier(id);
  return states;
}

void Task::checkpoint(std::uint64_t id, Clock::duration aligning) {
  std::vector<InstanceSnapshot> states = pass_barrier(id);
  checkpoints->acknowledge(id, *this, std::move(states), aligning);
}

std::vector<InstanceSnapshot> Task::snapshots(std::uint64_t id) {
  std::vector<InstanceSnapshot> states;
  for (std::size_t k = 0; k < ops.size(); ++k) {
    if (ops[k]->checkpointing() != Checkpointing::saves_state) continue;
    const Clock::time_point start = Clock::now();
    StateWriter writer(run_->buffer_pool(), id);
    ops[k]->snapshot(writer);
    const std::uint64_t entries = writer.entries();
    states.push_back(InstanceSnapshot{op_nodes[k], instance_, entries, writer.finish_pieces(),
                                      StateFileKind::operator_state, Clock::now() - start});
  }
  return states;
}

void Task::report_finished() noexcept {
  if (run_->cancelled()) return;  // stopped, not finished: no final state
  try {
    checkpoints->finished(*this, snapshots(0));
  } catch (...) {
    run_->fail(std::current_exception());
  }
}

void Task::set_input_slots(std::size_t n) {
  slot_watermarks_.assign(n, kMinEventTime);
  alignment_.set_slots(n);
  if (idle_timeout != Clock::duration::zero()) slot_seen_.assign(n, Clock::now());
}

ChannelPort Task::output_to(ChannelShares& channel) {
  for (const ChannelPort& port : outputs) {
    if (port.channel == &channel) return port;
  }
  return outputs.emplace_back(ChannelPort{&channel, channel.add_producer(*this)});
}

void Task::end_of(std::uint32_t slot) {
  if (++ends_seen_ == slot_watermarks_.size()) {
    head_input->finish();  // fires everything still held, whatever the watermark
    finished_ = true;
    return;
  }
  if (capture_.pending(slot) && capture_.arrived(slot)) unaligned_done();
  if (alignment_.ended(slot)) aligned();  // an ended input sends no barrier
  advance(slot, kMaxEventTime);           // an ended input no longer holds the others back
}

void Task::saw(std::uint32_t slot) {
  if (idle_timeout == Clock::duration::zero()) return;
  slot_seen_.at(slot) = Clock::now();
}

void Task::advance(std::uint32_t slot, EventTime time) {
  EventTime& mark = slot_watermarks_.at(slot);
  if (time <= mark) return;  // watermarks only move forward
  mark = time;
  update_watermark();
}

void Task::update_watermark() {
  EventTime low = kMaxEventTime;
  if (idle_timeout == Clock::duration::zero()) {
    low = *std::min_element(slot_watermarks_.begin(), slot_watermarks_.end());
  } else {
    // An idle slot does not count (an ended one always does, at kMaxEventTime). If every
    // slot is idle, nothing moves.
    const Clock::time_point now = Clock::now();
    bool any_active = false;
    std::optional<Clock::time_point> turns_idle;
    for (std::size_t s = 0; s < slot_watermarks_.size(); ++s) {
      const bool ended = slot_watermarks_[s] == kMaxEventTime;
      if (!ended && slot_seen_[s] + idle_timeout <= now) continue;  // idle
      any_active = true;
      low = std::min(low, slot_watermarks_[s]);
      if (!ended && (!turns_idle || slot_seen_[s] + idle_timeout < *turns_idle)) {
        turns_idle = slot_seen_[s] + idle_timeout;
      }
    }
    if (turns_idle && (!idle_check_at_ || *turns_idle < *idle_check_at_)) {
      idle_check_at_ = turns_idle;
      run_->wake_at(*this, *turns_idle);
    }
    if (!any_active) return;
  }
  if (low > watermark_in_) {
    watermark_in_ = low;
    head_input->watermark(low);
  }
}

void Task::before_inputs() {
  if (checkpoints != nullptr) hear_checkpoints();  // a barrier needs no room downstream
  // Restored batches into an operator behind the head, before the head (their producer now)
  // makes anything: they came before its barrier.
  if (replay_into_.empty()) return;
  for (auto& [op, batch] : std::exchange(replay_into_, {})) {
    ops[op]->input()->push_batch(std::move(batch));
  }
}

void Task::step() {
  more_work_ = false;
  if (run_->cancelled()) {
    finished_ = true;
    return;
  }
  before_inputs();
  const Clock::time_point start = Clock::now();
  if (idle_check_at_ && start >= *idle_check_at_) {
    idle_check_at_.reset();
    update_watermark();  // an input may have turned idle since the last watermark
  }
  if (blocked_since_) {
    if (!outputs_have_room()) return;  // a spurious wake: still parked
    const std::int64_t blocked = nanos(start - *blocked_since_);
    blocked_ns_ += blocked;
    run_->note_blocked(blocked);
    blocked_since_.reset();
  }
  const std::uint64_t emitted_before = source != nullptr ? head_metrics->items_out : 0;

  bool input_left = false;
  for (std::size_t n = 0; n < budget; ++n) {
    if (!outputs_have_room()) {
      park(Clock::now());
      break;
    }
    if (source != nullptr) {
      const Produced produced = produce_once();
      input_left = produced == Produced::more;
      if (!input_left) break;
      const Clock::time_point now = Clock::now();
      if (!collectors.empty()) flush_lingering(now);  // a slow source's partial batches
      if (now - start >= kTimeSlice) break;
      continue;
    }
    Event event;
    if (!pull(event)) {
      input_left = false;
      break;
    }
    take(event);
    if (finished_) break;
    input_left = input_waiting();
    if (Clock::now() - start >= kTimeSlice) break;
  }
  const Clock::time_point end = Clock::now();
  account(start, end, emitted_before);
  if (finished_ || blocked_since_) return;
  more_work_ = input_left || input_waiting();
  if (!more_work_) {
    flush_lingering(end);
    if (idle_owed_) {
      idle_owed_ = false;
      for (const std::unique_ptr<OperatorInstance>& op : ops) op->on_idle();
    }
  }
}

void Task::account(Clock::time_point start, Clock::time_point end,
                   std::uint64_t emitted_before) noexcept {
  busy_ns_ += nanos(end - start);
  if (source != nullptr) run_->note_events(head_metrics->items_out - emitted_before);
  if (live) publish(end);
}

void Task::publish(Clock::time_point now) noexcept {
  publish_owed_ = now < publish_due_;
  if (publish_owed_) return;
  publish_due_ = now + kPublishEvery;
  live->publish(busy_ns_, blocked_ns_, watermark_in_, finished_);
}

Task::Produced Task::produce_once() {
  std::size_t allowed = max_rate > 0 ? rate_allowance(Clock::now()) : batch_size;
  if (allowed == 0) return Produced::wait;  // ahead of its rate: a timer wakes it
  const MemoryPressure pressure = run_->pressure_now();
  if (pressure != MemoryPressure::normal && !pressure_lets_produce(pressure)) {
    return Produced::wait;
  }
  if (pressure == MemoryPressure::high) allowed = std::max<std::size_t>(1, allowed / 4);
  idle_owed_ = true;
  if (!source->produce(allowed)) {
    source->close();
    finished_ = true;
    return Produced::ended;
  }
  if (const std::optional<Clock::time_point> quiet = source->take_quiet_until()) {
    run_->wake_at(*this, *quiet);  // a live source with nothing now
    return Produced::wait;
  }
  return Produced::more;
}

// At high pressure a source makes a quarter batch at a time, and only once its output
// channels are empty: what it has in flight is then about that, whatever its items weigh,
// and it goes at the pace of what takes them. (A source fused down to its sinks has no
// channel: it waits a millisecond between steps.) At critical it makes nothing until
// pressure falls (sampled every 10 ms).
bool Task::pressure_lets_produce(MemoryPressure pressure) {
  const bool drained = std::all_of(outputs.begin(), outputs.end(), [](const ChannelPort& port) {
    return port.channel->queued(port.producer) == 0;
  });
  const bool go = pressure == MemoryPressure::high && drained &&
                  (!outputs.empty() || !std::exchange(throttle_turn_, true));
  if (go) return true;
  if (pressure == MemoryPressure::critical) {
    run_->source_paused();
    run_->wake_at(*this, Clock::now() + kPressurePause);
  } else {
    throttle_turn_ = false;
    run_->source_throttled();
    run_->wake_at(*this, Clock::now() + kPressureThrottle);
  }
  return false;
}

std::size_t Task::rate_allowance(Clock::time_point now) {
  if (!rate_start_) rate_start_ = now;
  const double elapsed = std::chrono::duration<double>(now - *rate_start_).count();
  const double emitted = static_cast<double>(head_metrics->items_out);
  // One item of credit at the start, then max_rate per second.
  const double may = max_rate * elapsed + 1.0 - emitted;
  if (may >= 1.0) return static_cast<std::size_t>(std::min(may, static_cast<double>(batch_size)));
  const auto due = *rate_start_ + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(emitted / max_rate));
  run_->wake_at(*this, due);
  return 0;
}

void Task::flush_lingering(Clock::time_point now) {
  std::optional<Clock::time_point> next;
  for (std::size_t c = 0; c < collectors.size(); ++c) {
    CollectorBase& collector = *collectors[c];
    const auto& oldest = collector.oldest_pending();
    if (!oldest) continue;
    const Clock::time_point due = *oldest + collector_linger[c];
    if (due <= now) {
      collector.flush();
    } else if (!next || due < *next) {
      next = due;
    }
  }
  if (next && !timer_armed_.exchange(true, std::memory_order_acq_rel)) run_->wake_at(*this, *next);
}

}  // namespace sw::runtime
