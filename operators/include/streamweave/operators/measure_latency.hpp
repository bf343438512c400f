// measure_latency: passes items on unchanged (without copying) and records, per item, the
// time since stamp_of(item) (ns on the wall clock, sw::wall_clock_ns()) into the instance's
// latency histogram (NodeReport::latency). One clock read per batch: items that arrive
// together are measured at the same moment. Options: NodeOptions.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/latency.hpp"
#include "streamweave/engine/stream.hpp"

namespace sw {

template <class T, class F>
class MeasureLatencyKernel final : public TransformBase<T, T> {
 public:
  // The histogram: a restored run reports the latencies of the whole job (rescaled, instance
  // 0 takes every saved instance's).
  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return Checkpointing::saves_state;
  }
  void snapshot(StateWriter& state) override { state.value(this->metrics_.latency); }
  void restore(StateReader& state) override {
    std::vector<Bytes> saved;
    if (state.same_layout()) {
      saved.push_back(state.values());
    } else if (this->ctx_.instance == 0) {
      saved = state.all_values();
    }
    // Merged into, not read over: a saved histogram of another size cannot make record() run
    // past the buckets.
    for (const Bytes& values : saved) {
      LatencyHistogram histogram;
      BinaryReader(values).read(histogram);
      this->metrics_.latency.merge(histogram);
    }
  }
  MeasureLatencyKernel(const InstanceContext& ctx, F f)
      : TransformBase<T, T>(ctx), stamp_of_(std::move(f)) {}

  void on_batch(BatchPtr<T>&& batch) override {
    const std::int64_t now = wall_clock_ns();
    this->read_each(*batch, [&](const T& x) { record(now, x); });
    this->emit_batch(std::move(batch));
  }

 private:
  void record(std::int64_t now, const T& item) {
    this->metrics_.latency.record(now - static_cast<std::int64_t>(std::invoke(stamp_of_, item)));
  }

  F stamp_of_;
};

template <class Self, class T>
class MeasureLatencyMethods : public StreamMixin<Self, MeasureLatencyMethods<Self, T>> {
 public:
  // Passes items on unchanged and records, per item, how long ago stamp_of(item) was: the
  // item's stamp is sw::wall_clock_ns() taken where it entered the pipeline (on any thread or
  // rank of one machine). The report's NodeReport::latency has the percentiles; the summary
  // and --metrics-json print p50/p99/p99.9.
  template <class F>
  requires TimeFunction<F, T> TransformStream<T, T> measure_latency(std::string name, F stamp_of,
                                                                    NodeOptions options = {})
  const {
    return this->self().template add_transform<T, MeasureLatencyKernel<T, F>>(
        std::move(name), "latency", options, std::move(stamp_of));
  }
};

}  // namespace sw
