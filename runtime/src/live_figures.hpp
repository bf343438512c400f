// Internal: what a task has done so far, for live metrics and the progress line. The task
// counts into its instances' InstanceMetrics without synchronisation (the hot path stays
// plain adds); every kPublishEvery, and as it parks with figures not yet copied, it copies
// them here under a lock no one else holds for long, and the metrics server reads the copy.
// A counter is thus at most kPublishEvery (plus one step) behind while the task runs, current
// while it is parked, and exact once it has finished; a latency histogram is copied every
// kPublishEvery only.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "streamweave/engine/event_time.hpp"
#include "streamweave/engine/instance.hpp"

namespace sw::runtime {

inline constexpr std::chrono::milliseconds kPublishEvery{100};

struct TaskFigures {
  std::vector<NodeCounters> counters;     // per node of the chain, in chain order
  std::vector<LatencyHistogram> latency;  // likewise (empty histograms for most nodes)
  std::int64_t busy_ns = 0;
  std::int64_t blocked_ns = 0;
  EventTime watermark = kMinEventTime;  // the last one into the chain's head
  bool finished = false;
};

class LiveFigures {
 public:
  // The figures of the instances whose metrics are `metrics` (a task's, in chain order).
  explicit LiveFigures(std::vector<const InstanceMetrics*> metrics) : metrics_(std::move(metrics)) {
    published_.counters.resize(metrics_.size());
    published_.latency.resize(metrics_.size());
  }

  // Copies the instances' figures, and with `histograms` their latency histograms (15 KiB
  // each, so not at every step). The task that owns them, between its steps. Out of memory
  // for a histogram's copy: the copy keeps its older histogram.
  void publish(std::int64_t busy_ns, std::int64_t blocked_ns, EventTime watermark, bool finished,
               bool histograms = true) noexcept {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < metrics_.size(); ++i) {
      published_.counters[i] = static_cast<const NodeCounters&>(*metrics_[i]);
      if (!histograms || metrics_[i]->latency.counts.empty()) continue;
      try {
        published_.latency[i] = metrics_[i]->latency;
      } catch (const std::bad_alloc&) {
      }
    }
    published_.busy_ns = busy_ns;
    published_.blocked_ns = blocked_ns;
    published_.watermark = watermark;
    published_.finished = finished;
  }

  // The last copy. Any thread.
  [[nodiscard]] TaskFigures read() const {
    std::lock_guard lock(mutex_);
    return published_;
  }

 private:
  std::vector<const InstanceMetrics*> metrics_;
  mutable std::mutex mutex_;
  TaskFigures published_;
};

}  // namespace sw::runtime
