// with_watermarks: passes items on unchanged (a batch as it is, without copying) and emits
// watermarks from their event times with bounded out-of-orderness: newest time seen -
// out_of_orderness - 1, after every batch, or every `every_items` items on the item-by-item
// path. A watermark only moves forward. Watermarks from upstream are dropped: this node
// decides the event time of the stream after it (as Flink's assigner does). In a compiled
// chain it is a step (WatermarkClock) that sees each item as it passes.
// Options: WatermarkOptions.
#pragma once

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>

#include "streamweave/engine/chain.hpp"
#include "streamweave/engine/event_time.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/state.hpp"
#include "streamweave/engine/stream.hpp"

namespace sw {

// with_watermarks as a step of a compiled chain (engine/chain.hpp), and the kernel's clock:
// the newest event time seen and the last watermark sent. A restored run goes on from them
// (rescaled: from the lowest any instance had, so that nothing on time becomes late).
template <class T, class F>
struct WatermarkClock {
  using in_type = T;
  using out_type = T;
  static constexpr StepKind kind = StepKind::observe;
  static constexpr bool kMakesWatermarks = true;

  [[gnu::always_inline]] void see(const T& item) {
    newest = std::max(newest, static_cast<EventTime>(std::invoke(time_of, item)));
  }
  // The watermark the items seen so far allow, when it is newer than the last one sent.
  std::optional<EventTime> watermark_after_batch() {
    if (newest <= kMinEventTime + out_of_orderness + 1) return std::nullopt;  // none, or wraps
    const EventTime mark = newest - out_of_orderness - 1;
    if (mark <= emitted) return std::nullopt;
    emitted = mark;
    return mark;
  }

  [[nodiscard]] Checkpointing checkpointing() const noexcept { return Checkpointing::saves_state; }
  void snapshot(StateWriter& state) {
    state.value(newest);
    state.value(emitted);
  }
  void restore(StateReader& state) {
    newest = restored_event_time(state, 0);
    emitted = restored_event_time(state, 1);
  }

  F time_of;
  EventTime out_of_orderness = 0;
  EventTime newest = kMinEventTime;
  EventTime emitted = kMinEventTime;
};

template <class T, class F>
class WatermarksKernel final : public TransformBase<T, T> {
 public:
  WatermarksKernel(const InstanceContext& ctx, WatermarkClock<T, F> clock, std::size_t every_items)
      : TransformBase<T, T>(ctx),
        clock_(std::move(clock)),
        every_items_(std::max<std::size_t>(1, every_items)) {}

  void watermark(EventTime /*upstream*/) override {}

  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return clock_.checkpointing();
  }
  void snapshot(StateWriter& state) override { clock_.snapshot(state); }
  void restore(StateReader& state) override { clock_.restore(state); }

  void on_batch(BatchPtr<T>&& batch) override {
    this->read_each(*batch, [&](const T& x) { clock_.see(x); });
    since_last_ += batch->size();
    this->emit_batch(std::move(batch));
    if (since_last_ >= every_items_) emit_watermark_if_new();
  }
  void after_batch() override { emit_watermark_if_new(); }

 private:
  void emit_watermark_if_new() {
    since_last_ = 0;
    if (const std::optional<EventTime> mark = clock_.watermark_after_batch()) {
      TransformBase<T, T>::watermark(*mark);  // to the outputs, in order after the items
    }
  }

  WatermarkClock<T, F> clock_;
  std::size_t every_items_;
  std::size_t since_last_ = 0;
};

template <class Self, class T>
class WatermarkMethods : public StreamMixin<Self, WatermarkMethods<Self, T>> {
 public:
  // Event time: passes the items on unchanged and emits watermarks from time_of(item) with
  // bounded out-of-orderness (newest time - out_of_orderness - 1). Put it right after the
  // source, before anything partitions the stream: it takes its input's parallelism (unless
  // options.node sets one) and so fuses with it. Windows and joins downstream fire on these.
  template <class F>
  requires TimeFunction<F, T>
  auto with_watermarks(std::string name, F time_of, WatermarkOptions options = {}) const {
    WatermarkClock<T, F> clock{std::move(time_of), options.out_of_orderness};
    auto stream = this->self().template add_step<T, WatermarksKernel<T, F>>(
        std::move(name), "watermarks", options.node, std::move(clock), options.every_items);
    stream.graph().node(stream.node()).inherit_parallelism();
    return stream;
  }
};

}  // namespace sw
