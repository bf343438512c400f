// with_watermarks: passes items on unchanged (a batch as it is, without copying) and emits
// watermarks from their event times with bounded out-of-orderness: newest time seen -
// out_of_orderness - 1, after every batch, or every `every_items` items on the item-by-item
// path. A watermark only moves forward. Watermarks from upstream are dropped: this node
// decides the event time of the stream after it (as Flink's assigner does).
// Options: WatermarkOptions.
#pragma once

#include <algorithm>
#include <functional>
#include <utility>

#include "streamweave/engine/event_time.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/state.hpp"
#include "streamweave/engine/stream.hpp"

namespace sw {

template <class T, class F>
class WatermarksKernel final : public TransformBase<T, T> {
 public:
  WatermarksKernel(const InstanceContext& ctx, F time_of, EventTime out_of_orderness,
                   std::size_t every_items)
      : TransformBase<T, T>(ctx),
        time_of_(std::move(time_of)),
        out_of_orderness_(out_of_orderness),
        every_items_(std::max<std::size_t>(1, every_items)) {}

  void watermark(EventTime /*upstream*/) override {}

  // The newest event time seen and the last watermark sent: a restored run goes on from them
  // (rescaled: from the lowest any instance had, so that nothing on time becomes late).
  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return Checkpointing::saves_state;
  }
  void snapshot(StateWriter& state) override {
    state.value(newest_);
    state.value(emitted_);
  }
  void restore(StateReader& state) override {
    newest_ = restored_event_time(state, 0);
    emitted_ = restored_event_time(state, 1);
  }

  void on_batch(BatchPtr<T>&& batch) override {
    this->read_each(*batch, [&](const T& x) { see(x); });
    since_last_ += batch->size();
    this->emit_batch(std::move(batch));
    if (since_last_ >= every_items_) emit_watermark_if_new();
  }
  void after_batch() override { emit_watermark_if_new(); }

 private:
  void see(const T& item) {
    newest_ = std::max(newest_, static_cast<EventTime>(std::invoke(time_of_, item)));
  }
  void emit_watermark_if_new() {
    since_last_ = 0;
    if (newest_ <= kMinEventTime + out_of_orderness_ + 1) return;  // none yet, or would wrap
    const EventTime mark = newest_ - out_of_orderness_ - 1;
    if (mark <= emitted_) return;
    emitted_ = mark;
    TransformBase<T, T>::watermark(mark);  // to the outputs, in order after the items
  }

  F time_of_;
  EventTime out_of_orderness_;
  std::size_t every_items_;
  EventTime newest_ = kMinEventTime;
  EventTime emitted_ = kMinEventTime;
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
  requires TimeFunction<F, T> TransformStream<T, T> with_watermarks(std::string name, F time_of,
                                                                    WatermarkOptions options = {})
  const {
    auto stream = this->self().template add_transform<T, WatermarksKernel<T, F>>(
        std::move(name), "watermarks", options.node, std::move(time_of), options.out_of_orderness,
        options.every_items);
    stream.graph().node(stream.node()).inherit_parallelism();
    return stream;
  }
};

}  // namespace sw
