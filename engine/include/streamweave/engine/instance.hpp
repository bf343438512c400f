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
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "streamweave/engine/counters.hpp"
#include "streamweave/engine/errors.hpp"
#include "streamweave/engine/input.hpp"
#include "streamweave/engine/latency.hpp"
#include "streamweave/engine/options.hpp"

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
  // Connects output `port` (0: main, 1: dead letters) to `target`. Throws GraphError when
  // the target's item type differs from the port's.
  virtual void bind_output(std::size_t port, InputBase& target) = 0;
  // Sources only: emits at most `max_items` items; returns false once exhausted.
  virtual bool produce(std::size_t /*max_items*/) { return false; }
  // Sources only: the source is exhausted (or stopped); finishes the outputs.
  virtual void close() {}
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

}  // namespace detail

// Base of every instance that takes items of type In and emits Out on kMainPort, and dead
// letters on kDeadLetterPort.
template <class In, class Out>
class TransformBase : public OperatorInstance, public Input<In> {
 public:
  explicit TransformBase(const InstanceContext& ctx) noexcept : ctx_(ctx), metrics_(*ctx.metrics) {}

  InputBase* input() noexcept final { return this; }

  void bind_output(std::size_t port, InputBase& target) override {
    if (port == kMainPort) {
      out_ = detail::checked_input<Out>(ctx_, port, target);
    } else if (port == kDeadLetterPort) {
      dead_ = detail::checked_input<DeadLetter<In>>(ctx_, port, target);
    } else {
      detail::throw_port_mismatch(ctx_, port);
    }
  }

  void finish() override {
    on_finish();
    if (out_ != nullptr) out_->finish();
    if (dead_ != nullptr) dead_->finish();
  }

  void watermark(EventTime time) override {
    on_watermark(time);
    if (out_ != nullptr) out_->watermark(time);
    if (dead_ != nullptr) dead_->watermark(time);
  }

 protected:
  // Called once at end of input, before the outputs finish: emit what is held back.
  virtual void on_finish() {}
  // Called for each watermark before it goes on: emit what it makes due.
  virtual void on_watermark(EventTime /*time*/) {}

  void emit(Out&& item) {
    ++metrics_.items_out;
    out_->push(std::move(item));
  }
  void emit_ref(const Out& item) {
    ++metrics_.items_out;
    out_->push_ref(item);
  }
  void emit_batch(BatchPtr<Out> batch) {
    metrics_.items_out += batch->size();
    out_->push_items(std::move(batch));
  }
  [[nodiscard]] Emitter<Out> emitter() noexcept { return Emitter<Out>(*out_, metrics_.items_out); }

  // Under the default stop policy a whole batch can run in one tight loop; the other
  // policies handle items one by one. Returns true when it handed `batch` to the
  // item-by-item path (also when `batch_path_ok` is false), leaving nothing for the caller.
  bool went_item_by_item(BatchPtr<In>& batch, bool batch_path_ok = true) {
    if (batch_path_ok && ctx_.errors.kind() == ErrorPolicy::Kind::stop) return false;
    Input<In>::push_items(std::move(batch));
    return true;
  }

  // Runs `body(k)` for k in [0, n) over a batch received as positions [first, first + n):
  // a failure is reported at the item it happened on.
  template <class Body>
  void batch_for(std::size_t n, Body&& body) {
    const std::uint64_t first = metrics_.items_in;
    metrics_.items_in += n;
    std::size_t k = 0;
    try {
      for (; k < n; ++k) body(k);
    } catch (const NodeError&) {
      throw;
    } catch (...) {
      detail::throw_node_error(ctx_, first + k, std::current_exception());
    }
  }

  // Runs `call(item)` (which calls the user function and emits) under the node's error
  // policy. Errors thrown further down a fused chain (NodeError) pass through untouched.
  template <class Item, class Call>
  void guarded(Item&& item, Call&& call) {
    const std::uint64_t position = metrics_.items_in++;
    if (ctx_.errors.kind() == ErrorPolicy::Kind::stop ||
        ctx_.errors.kind() == ErrorPolicy::Kind::skip) [[likely]] {
      try {
        call(std::forward<Item>(item));
      } catch (const NodeError&) {
        throw;
      } catch (...) {
        if (ctx_.errors.kind() == ErrorPolicy::Kind::stop) {
          detail::throw_node_error(ctx_, position, std::current_exception());
        }
        detail::skip_error(ctx_, metrics_, position, detail::describe(std::current_exception()));
      }
      return;
    }
    guarded_slow(item, call, position);
  }

  InstanceContext ctx_;
  InstanceMetrics& metrics_;
  Input<Out>* out_ = nullptr;
  Input<DeadLetter<In>>* dead_ = nullptr;

 private:
  // retry and dead_letter keep the original item, so each attempt works on a copy.
  template <class Call>
  void guarded_slow(const In& item, Call& call, std::uint64_t position) {
    const unsigned attempts =
        ctx_.errors.kind() == ErrorPolicy::Kind::retry ? ctx_.errors.attempts() + 1 : 1;
    std::exception_ptr error;
    for (unsigned attempt = 0; attempt < attempts; ++attempt) {
      if (attempt > 0) ++metrics_.retries;
      try {
        if constexpr (std::is_invocable_v<Call&, const In&>) {
          call(item);
        } else {
          call(In(item));
        }
        return;
      } catch (const NodeError&) {
        throw;
      } catch (...) {
        error = std::current_exception();
      }
    }
    if (ctx_.errors.kind() == ErrorPolicy::Kind::dead_letter && dead_ != nullptr) {
      ++metrics_.dead_lettered;
      dead_->push(
          DeadLetter<In>{item, *ctx_.node, ctx_.instance, position, detail::describe(error)});
      return;
    }
    detail::throw_node_error(ctx_, position, error);
  }
};

// Base of sources: emit Out on port 0.
template <class Out>
class SourceBase : public OperatorInstance {
 public:
  explicit SourceBase(const InstanceContext& ctx) noexcept : ctx_(ctx), metrics_(*ctx.metrics) {}

  void bind_output(std::size_t port, InputBase& target) override {
    if (port != 0) detail::throw_port_mismatch(ctx_, port);
    out_ = detail::checked_input<Out>(ctx_, port, target);
  }
  void close() override {
    if (out_ != nullptr) out_->finish();
  }

 protected:
  void emit(Out&& item) {
    ++metrics_.items_out;
    out_->push(std::move(item));
  }
  void emit_batch(BatchPtr<Out> batch) {
    metrics_.items_out += batch->size();
    out_->push_items(std::move(batch));
  }
  // No later item of this instance will have a time <= `time`.
  void emit_watermark(EventTime time) { out_->watermark(time); }

  // Runs a user call that produces the item at `position` under the stop policy.
  template <class Call>
  decltype(auto) guarded(std::uint64_t position, Call&& call) {
    try {
      return call();
    } catch (const NodeError&) {
      throw;
    } catch (...) {
      detail::throw_node_error(ctx_, position, std::current_exception());
    }
  }

  // Runs `loop`, which advances `position` as it goes; a failure names that position.
  template <class Loop>
  void guarded_at(const std::uint64_t& position, Loop&& loop) {
    try {
      loop();
    } catch (const NodeError&) {
      throw;
    } catch (...) {
      detail::throw_node_error(ctx_, position, std::current_exception());
    }
  }

  InstanceContext ctx_;
  InstanceMetrics& metrics_;
  Input<Out>* out_ = nullptr;
};

// Base of sinks: take In, emit nothing.
template <class In>
class SinkBase : public OperatorInstance, public Input<In> {
 public:
  explicit SinkBase(const InstanceContext& ctx) noexcept : ctx_(ctx), metrics_(*ctx.metrics) {}
  InputBase* input() noexcept final { return this; }
  void bind_output(std::size_t port, InputBase&) override {
    detail::throw_port_mismatch(ctx_, port);
  }

 protected:
  // A sink has no dead-letter port: skip and retry apply, dead_letter acts as stop.
  template <class Item, class Call>
  void guarded(Item&& item, Call&& call) {
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

  InstanceContext ctx_;
  InstanceMetrics& metrics_;
};

}  // namespace sw
