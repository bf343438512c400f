// Operator instances: what one parallel instance of a node is while a graph runs.
//
// The runtime creates instances from NodeSpecs, wires their outputs (to a fused successor or
// to an output collector) and drives them from one task; an instance is never called from
// two threads at once, so it keeps its state without locks.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "streamweave/engine/counters.hpp"
#include "streamweave/engine/errors.hpp"
#include "streamweave/engine/input.hpp"
#include "streamweave/engine/item_stage.hpp"
#include "streamweave/engine/latency.hpp"
#include "streamweave/engine/options.hpp"
#include "streamweave/engine/state.hpp"

namespace sw {

// How many skipped errors a node's report names (the first ones).
inline constexpr std::size_t kErrorsNamed = 3;

// What one instance counts and measures. Written only by its task; read after the run.
struct InstanceMetrics : NodeCounters {
  LatencyHistogram latency;               // measure_latency: now - the item's stamp
  std::vector<std::string> first_errors;  // of the errors skipped, the first kErrorsNamed
};

// Implemented by the runtime: keeps batch pools alive until every batch of the run is gone
// (a batch made by one task may wait in another task's channel). Called while the run is
// being built, from one thread.
class PoolProvider {
 public:
  virtual ~PoolProvider() = default;
  virtual BatchPoolBase& adopt(std::unique_ptr<BatchPoolBase> pool) = 0;
  // Where the run's batches take their item storage from.
  [[nodiscard]] virtual BufferPool& buffer_pool() const noexcept = 0;
};

struct InstanceContext {
  const std::string* node = nullptr;
  unsigned instance = 0;
  unsigned parallelism = 1;
  ErrorPolicy errors = ErrorPolicy::stop();
  InstanceMetrics* metrics = nullptr;
  PoolProvider* pools = nullptr;
  // Errors skipped by every instance of the node in this process, for ErrorPolicy::skip's
  // limit (null: this instance's count).
  std::atomic<std::uint64_t>* node_errors_skipped = nullptr;
  std::size_t batch_size = 1024;  // items per batch of what the instance emits one by one
  // The run takes checkpoints: what a sink writes is committed when a checkpoint completes
  // (on_checkpoint_complete), not at end of stream.
  bool checkpointed = false;
  // With checkpoints: a directory for the instance's write-ahead log, its own and the same in
  // every run of the graph on that checkpoint directory (created by the log); and how many
  // complete checkpoints are kept (what only older ones need may go).
  std::string log_dir;
  unsigned checkpoints_kept = 0;
};

// A pool of batches of T that lives as long as the run.
template <class T>
BatchPool<T>& make_pool(const InstanceContext& ctx) {
  return static_cast<BatchPool<T>&>(ctx.pools->adopt(
      std::make_unique<BatchPool<T>>(BatchPool<T>::kDefaultRetained, ctx.pools->buffer_pool())));
}

// An item a node failed on, and why. The stream of these is a node's dead-letter output.
template <class T>
struct DeadLetter {
  T item;
  std::string node;
  unsigned instance = 0;
  std::uint64_t position = 0;
  std::string error;
};

class OperatorInstance {
 public:
  virtual ~OperatorInstance() = default;
  // Where upstream items enter; nullptr for a source.
  [[nodiscard]] virtual InputBase* input() noexcept { return nullptr; }
  // Reaches what the instance reads from or writes to (a server, a socket), so that one that
  // is not there fails the run before any item moves, whichever instance would have reached
  // it first. Once, after restore() and before any other call of the run; the thread that
  // starts the run, one instance after another. What it throws fails the run.
  virtual void open() {}
  // Connects output `port` (0: main, 1: dead letters) to `target`. Throws GraphError when
  // the target's item type differs from the port's.
  virtual void bind_output(std::size_t port, InputBase& target) = 0;
  // Sources only: emits at most `max_items` items; returns false once exhausted.
  virtual bool produce(std::size_t /*max_items*/) { return false; }
  // Sources only: the source is exhausted (or stopped); finishes the outputs.
  virtual void close() {}
  // Sources only, after a produce() that returned true: when a live source that had nothing
  // wants to be asked again (its task sleeps until then, or a barrier or a stop wakes it),
  // or nullopt to be asked at once. Reading it clears it. Its task.
  [[nodiscard]] virtual std::optional<Clock::time_point> take_quiet_until() noexcept {
    return std::nullopt;
  }

  // The task has taken every item queued for it and has nothing more to do for now (or its
  // source waits). Once after each spell of work. A sink that groups its writes across
  // batches (a database's COPY) sends them here, so nothing waits for input that may not
  // come. Its task.
  virtual void on_idle() {}

  // Checkpoints: what this instance can do about them. A stateful instance overrides the three.
  [[nodiscard]] virtual Checkpointing checkpointing() const noexcept {
    return Checkpointing::stateless;
  }
  // Writes the instance's state. Its task, between two batches, as a checkpoint barrier
  // passes: what it holds then reflects exactly the items before the barrier.
  virtual void snapshot(StateWriter& /*state*/) {}
  // Takes back the state snapshot() wrote. Its task, before the instance sees any item.
  virtual void restore(StateReader& /*state*/) {}
  // Checkpoint `id` completed: every instance's snapshot of it is on disk, so what was
  // staged for it may be committed (a sink's output). Its task, between batches; or, once
  // its task finished, the coordinator.
  virtual void on_checkpoint_complete(std::uint64_t /*id*/) {}
};

// The output ports of a node: its items; a transform's dead letters (bound only when its
// policy is dead_letter); an event-time window's late items.
inline constexpr std::size_t kMainPort = 0;
inline constexpr std::size_t kDeadLetterPort = 1;
inline constexpr std::size_t kLatePort = 2;

namespace detail {

[[noreturn]] void throw_port_mismatch(const InstanceContext& ctx, std::size_t port);
[[noreturn]] void throw_node_error(const InstanceContext& ctx, std::uint64_t position,
                                   std::exception_ptr error);
std::string describe(std::exception_ptr error);
// Counts an error skipped at `position` and keeps its message among the node's first ones;
// throws NodeError once more than the policy's max_errors were skipped.
void skip_error(const InstanceContext& ctx, InstanceMetrics& metrics, std::uint64_t position,
                std::string message);

template <class T>
Input<T>* checked_input(const InstanceContext& ctx, std::size_t port, InputBase& target) {
  if (target.item_type() != typeid(T)) throw_port_mismatch(ctx, port);
  return static_cast<Input<T>*>(&target);
}

// Runs `run()`. A failure other than a NodeError (thrown further down a fused chain, which
// passes untouched) becomes the instance's NodeError at `position()`, read when it fails.
template <class Position, class Run>
decltype(auto) failing_at(const InstanceContext& ctx, Position&& position, Run&& run) {
  try {
    return run();
  } catch (const NodeError&) {
    throw;
  } catch (...) {
    throw_node_error(ctx, position(), std::current_exception());
  }
}

}  // namespace detail

// Base of every instance that takes items of type In and emits Out on kMainPort, and dead
// letters on kDeadLetterPort. A kernel writes its logic once, in on_batch(); this base runs
// it over whole batches under the stop policy, and over one-item batches under the others so
// that each item gets its skip, retry or dead letter. What a kernel emits one item at a time
// is staged into batches that go on at the end of each batch it takes in.
template <class In, class Out>
class TransformBase : public OperatorInstance, public Input<In> {
 public:
  explicit TransformBase(const InstanceContext& ctx)
      : ctx_(ctx),
        metrics_(*ctx.metrics),
        item_by_item_(ctx.errors.kind() != ErrorPolicy::Kind::stop),
        out_pool_(&make_pool<Out>(ctx)) {
    if (item_by_item_) in_pool_ = &make_pool<In>(ctx);
  }

  InputBase* input() noexcept final { return this; }

  void bind_output(std::size_t port, InputBase& target) override {
    if (port == kMainPort) {
      out_ = detail::checked_input<Out>(ctx_, port, target);
      stage_.bind(*out_, *out_pool_, ctx_.batch_size);
    } else if (port == kDeadLetterPort) {
      dead_ = detail::checked_input<DeadLetter<In>>(ctx_, port, target);
      dead_stage_.bind(*dead_, make_pool<DeadLetter<In>>(ctx_), ctx_.batch_size);
    } else {
      detail::throw_port_mismatch(ctx_, port);
    }
  }

  void push_items(BatchPtr<In> batch) final {
    if (item_by_item_) {
      one_by_one(std::move(batch));
    } else {
      whole(std::move(batch));
    }
    after_batch();
    flush_staged();
  }

  void finish() override {
    on_finish();
    flush_staged();
    if (out_ != nullptr) out_->finish();
    if (dead_ != nullptr) dead_->finish();
  }

  void watermark(EventTime time) override {
    on_watermark(time);
    flush_staged();
    if (out_ != nullptr) out_->watermark(time);
    if (dead_ != nullptr) dead_->watermark(time);
  }

  // The kernel as the tail of a compiled chain (chain.hpp), after `count` items went to its
  // fused_item() one by one: counts them and sends on what they produced, as after a batch.
  void end_fused_batch(std::uint64_t count) {
    metrics_.items_in += count;
    after_batch();
    flush_staged();
  }

 protected:
  // The kernel's one entry point: a batch of items. It may move them out when
  // batch->owned(), and reads them through batch->read() otherwise (the batch is shared, or
  // a view). Loop over them with batch_for or read_each so a failure names its item.
  // The kernel moves the batch on (emit_batch) or leaves it: taking it by reference spares the
  // item-wise path a reference count per item.
  virtual void on_batch(BatchPtr<In>&& batch) = 0;
  // Called after each batch taken in (whole or item by item), before the staged items go on.
  virtual void after_batch() {}
  // Called once at end of input, before the outputs finish: emit what is held back.
  virtual void on_finish() {}
  // Called for each watermark before it goes on: emit what it makes due.
  virtual void on_watermark(EventTime /*time*/) {}

  void emit(Out&& item) {
    ++metrics_.items_out;
    stage_.add(std::move(item));
  }
  void emit(const Out& item) {
    ++metrics_.items_out;
    stage_.add(item);
  }
  // A whole batch goes on as it is, after what was staged before it. Item by item, the
  // one-item batches are gathered instead, so that downstream still sees full batches.
  void emit_batch(BatchPtr<Out>&& batch) {
    metrics_.items_out += batch->size();
    if (item_by_item_) {
      stage_.add_all(*batch);
      return;
    }
    stage_.flush();
    out_->push_items(std::move(batch));
  }
  // Lets go of the batch on_batch() was given once its items are read, so that its storage
  // returns before the output goes downstream (item by item, the instance keeps it).
  void done_with(BatchPtr<In>& batch) noexcept {
    if (!item_by_item_) batch.reset();
  }
  [[nodiscard]] Emitter<Out> emitter() noexcept { return Emitter<Out>(stage_, metrics_.items_out); }
  // Where this instance's output batches come from.
  [[nodiscard]] BatchPool<Out>& out_pool() const noexcept { return *out_pool_; }

  // Runs `body(k)` for k in [0, n) over the batch on_batch() was given: a failure is
  // reported at the item it happened on (item by item, the caller applies the policy).
  template <class Body>
  void batch_for(std::size_t n, Body&& body) {
    if (item_by_item_) {
      for (std::size_t k = 0; k < n; ++k) body(k);
      return;
    }
    std::size_t k = 0;
    detail::failing_at(
        ctx_, [&] { return first_ + k; },
        [&] {
          for (; k < n; ++k) body(k);
        });
  }

  // Runs `body(const In&)` for each item of `batch`, in order, as batch_for does.
  template <class Body>
  void read_each(const Batch<In>& batch, Body&& body) {
    batch.read([&](const auto& items) {
      batch_for(items.size(), [&](std::size_t k) { body(items[k]); });
    });
  }

  InstanceContext ctx_;
  InstanceMetrics& metrics_;
  Input<Out>* out_ = nullptr;
  Input<DeadLetter<In>>* dead_ = nullptr;

 private:
  void flush_staged() {
    stage_.flush();
    if (dead_stage_.bound()) dead_stage_.flush();
  }

  void whole(BatchPtr<In> batch) {
    first_ = metrics_.items_in;
    metrics_.items_in += batch->size();
    detail::failing_at(
        ctx_, [this] { return first_; }, [&] { on_batch(std::move(batch)); });
  }

  // Each item goes into the kernel as a one-item batch: under skip, an item of a batch we
  // own is moved into it; otherwise it is a view of the item (no copy), so that the item is
  // still there for a retry or a dead letter. The one-item batch is the instance's own,
  // reused for every item: taking one from the pool per item would cost more than the item.
  void one_by_one(BatchPtr<In> batch) {
    const bool owned = batch->owned();
    const bool move = owned && ctx_.errors.kind() == ErrorPolicy::Kind::skip;
    const BatchPtr<In> from = batch->is_view() ? batch->viewed : batch;
    const std::size_t n = batch->size();
    for (std::size_t k = 0; k < n; ++k) {
      first_ = metrics_.items_in++;
      const std::uint32_t at =
          batch->is_view() ? batch->selection[k] : static_cast<std::uint32_t>(k);
      guarded(
          [&]() -> BatchPtr<In>& { return move ? moved_in(from->items[at]) : view_of(from, at); },
          from->items[at], owned);
    }
    if (one_item_ && one_item_->unique()) {  // lets go of the last item and of `from`
      one_item_->items.clear();
      one_item_->viewed.reset();
    }
  }

  // The instance's one-item batch, emptied; a new one when the kernel took or kept the last.
  BatchPtr<In>& empty_one_item() {
    if (!one_item_ || !one_item_->unique()) one_item_ = in_pool_->acquire(1);
    one_item_->items.clear();
    one_item_->selection.clear();
    one_item_->viewed.reset();
    return one_item_;
  }
  BatchPtr<In>& moved_in(In& item) {
    BatchPtr<In>& one = empty_one_item();
    one->items.push_back(std::move(item));
    return one;
  }
  BatchPtr<In>& view_of(const BatchPtr<In>& from, std::uint32_t at) {
    BatchPtr<In>& one = empty_one_item();
    one->selection.push_back(at);
    one->viewed = from;
    return one;
  }

  // Runs the kernel on one_item() under the node's policy; `item` is the item it holds (for
  // a dead letter, moved out when `owned`).
  template <class OneItem>
  void guarded(OneItem&& one_item, In& item, bool owned) {
    const std::uint64_t position = first_;
    if (ctx_.errors.kind() == ErrorPolicy::Kind::skip) {
      try {
        on_batch(std::move(one_item()));
      } catch (const NodeError&) {
        throw;
      } catch (...) {
        detail::skip_error(ctx_, metrics_, position, detail::describe(std::current_exception()));
      }
      return;
    }
    const unsigned attempts =
        ctx_.errors.kind() == ErrorPolicy::Kind::retry ? ctx_.errors.attempts() + 1 : 1;
    std::exception_ptr error;
    for (unsigned attempt = 0; attempt < attempts; ++attempt) {
      if (attempt > 0) ++metrics_.retries;
      try {
        on_batch(std::move(one_item()));
        return;
      } catch (const NodeError&) {
        throw;
      } catch (...) {
        error = std::current_exception();
      }
    }
    if (ctx_.errors.kind() == ErrorPolicy::Kind::dead_letter && dead_ != nullptr) {
      ++metrics_.dead_lettered;
      dead_stage_.add(DeadLetter<In>{owned ? In(std::move(item)) : In(std::as_const(item)),
                                     *ctx_.node, ctx_.instance, position, detail::describe(error)});
      return;
    }
    detail::throw_node_error(ctx_, position, error);
  }

  const bool item_by_item_;
  BatchPool<Out>* out_pool_;
  BatchPool<In>* in_pool_ = nullptr;
  BatchPtr<In> one_item_;  // item by item only: see one_by_one()
  ItemStage<Out> stage_;
  ItemStage<DeadLetter<In>> dead_stage_;
  std::uint64_t first_ = 0;  // the position of on_batch()'s first item
};

// Base of sources: emit Out on port 0. A source implements on_produce(); what it emits one
// item at a time goes on in batches at the end of each step.
template <class Out>
class SourceBase : public OperatorInstance {
 public:
  explicit SourceBase(const InstanceContext& ctx)
      : ctx_(ctx), metrics_(*ctx.metrics), pool_(&make_pool<Out>(ctx)) {}

  void bind_output(std::size_t port, InputBase& target) override {
    if (port != 0) detail::throw_port_mismatch(ctx_, port);
    out_ = detail::checked_input<Out>(ctx_, port, target);
    stage_.bind(*out_, *pool_, ctx_.batch_size);
  }
  bool produce(std::size_t max_items) final {
    const bool more = on_produce(max_items);
    stage_.flush();
    return more;
  }
  void close() override {
    if (out_ == nullptr) return;
    stage_.flush();
    out_->finish();
  }
  // A source always has a position: one that cannot snapshot it would start over when
  // restored. Sources that can override this, snapshot() and restore().
  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return Checkpointing::unsupported;
  }
  [[nodiscard]] std::optional<Clock::time_point> take_quiet_until() noexcept final {
    return std::exchange(quiet_until_, std::nullopt);
  }

 protected:
  // Emits at most `max_items` items; returns false once exhausted.
  virtual bool on_produce(std::size_t max_items) = 0;

  void emit(Out&& item) {
    ++metrics_.items_out;
    stage_.add(std::move(item));
  }
  void emit_batch(BatchPtr<Out> batch) {
    metrics_.items_out += batch->size();
    stage_.flush();
    out_->push_items(std::move(batch));
  }
  // No later item of this instance will have a time <= `time`.
  void emit_watermark(EventTime time) {
    stage_.flush();
    out_->watermark(time);
  }
  // Where this source's batches come from.
  [[nodiscard]] BatchPool<Out>& out_pool() const noexcept { return *pool_; }
  // A live source with nothing to emit now: on_produce returns true, and it is not asked
  // again before `when` (sooner if a checkpoint barrier or a stop comes), instead of at once
  // in a loop that holds a worker.
  void nothing_until(Clock::time_point when) noexcept { quiet_until_ = when; }

  // Runs a user call that produces the item at `position` under the stop policy.
  template <class Call>
  decltype(auto) guarded(std::uint64_t position, Call&& call) {
    return detail::failing_at(
        ctx_, [position] { return position; }, call);
  }

  // Runs `loop`, which advances `position` as it goes; a failure names that position.
  template <class Loop>
  void guarded_at(const std::uint64_t& position, Loop&& loop) {
    detail::failing_at(
        ctx_, [&position] { return position; }, loop);
  }

  InstanceContext ctx_;
  InstanceMetrics& metrics_;
  Input<Out>* out_ = nullptr;

 private:
  BatchPool<Out>* pool_;
  ItemStage<Out> stage_;
  std::optional<Clock::time_point> quiet_until_;
};

// Base of sinks: take In, emit nothing. A sink implements push_items(); consume_each runs a
// per-item function under the node's policy.
template <class In>
class SinkBase : public OperatorInstance, public Input<In> {
 public:
  explicit SinkBase(const InstanceContext& ctx) noexcept : ctx_(ctx), metrics_(*ctx.metrics) {}
  InputBase* input() noexcept final { return this; }
  void bind_output(std::size_t port, InputBase&) override {
    detail::throw_port_mismatch(ctx_, port);
  }

 protected:
  // Calls `consume(const In&)` for each item of `batch`; a failure names its item.
  template <class Call>
  void consume_each(const Batch<In>& batch, Call&& consume) {
    batch.read([&](const auto& items) { consume_all(items, consume); });
  }

  InstanceContext ctx_;
  InstanceMetrics& metrics_;

 private:
  template <class Items, class Call>
  void consume_all(const Items& items, Call& consume) {
    if (ctx_.errors.kind() != ErrorPolicy::Kind::stop) {
      for (std::size_t k = 0; k < items.size(); ++k) guarded(items[k], consume);
      return;
    }
    const std::uint64_t first = metrics_.items_in;
    metrics_.items_in += items.size();
    std::size_t k = 0;
    detail::failing_at(
        ctx_, [&] { return first + k; },
        [&] {
          for (; k < items.size(); ++k) consume(items[k]);
        });
  }

  // A sink has no dead-letter port: skip and retry apply, dead_letter acts as stop.
  template <class Call>
  void guarded(const In& item, Call& call) {
    const std::uint64_t position = metrics_.items_in++;
    const unsigned attempts =
        ctx_.errors.kind() == ErrorPolicy::Kind::retry ? ctx_.errors.attempts() + 1 : 1;
    for (unsigned attempt = 0;; ++attempt) {
      try {
        call(item);
        return;
      } catch (const NodeError&) {
        throw;
      } catch (...) {
        if (attempt + 1 < attempts) {
          ++metrics_.retries;
          continue;
        }
        if (ctx_.errors.kind() == ErrorPolicy::Kind::skip) {
          detail::skip_error(ctx_, metrics_, position, detail::describe(std::current_exception()));
          return;
        }
        detail::throw_node_error(ctx_, position, std::current_exception());
      }
    }
  }
};

}  // namespace sw
