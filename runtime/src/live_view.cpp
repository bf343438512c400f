#include "live_view.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

namespace sw::runtime {

namespace {

// A label value with Prometheus' escapes (backslash, quote, newline).
std::string escaped(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

template <class V>
void sample(std::string& out, std::string_view name, std::string_view labels, V value) {
  out += fmt::format("{}{{{}}} {}\n", name, labels, value);
}

struct CounterMeaning {
  std::string_view counter;  // NodeCounters' member
  std::string_view type;
  std::string_view help;
};

constexpr std::array kCounterMeanings{
    CounterMeaning{"items_in", "counter", "Items the node instance took in."},
    CounterMeaning{"items_out", "counter", "Items the node instance emitted."},
    CounterMeaning{"batches_in", "counter", "Batches the node instance took in."},
    CounterMeaning{"batches_out", "counter", "Batches the node instance emitted."},
    CounterMeaning{"errors_skipped", "counter", "Bad items the error policy skipped."},
    CounterMeaning{"retries", "counter", "Calls the error policy retried."},
    CounterMeaning{"dead_lettered", "counter", "Bad items sent to the dead-letter output."},
    CounterMeaning{"late_dropped", "counter", "Items that came after their windows closed."},
    CounterMeaning{"state_entries", "gauge", "Keyed-state entries held, the most so far."},
    CounterMeaning{"state_bytes", "gauge",
                   "Keyed-state bytes held (approximate), the most so far."},
};

// A NodeCounters member's metric: counters end in _total, as Prometheus names them.
std::pair<std::string, CounterMeaning> counter_metric(std::string_view counter) {
  for (const CounterMeaning& m : kCounterMeanings) {
    if (m.counter == counter) {
      return {fmt::format("streamweave_node_{}{}", counter, m.type == "counter" ? "_total" : ""),
              m};
    }
  }
  return {fmt::format("streamweave_node_{}", counter), {counter, "untyped", "A node counter."}};
}

// Latency buckets, in seconds: 1-2.5-5 steps from 10 µs to 100 s.
constexpr std::array kLatencyBuckets{1e-5, 2.5e-5, 5e-5,   1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
                                     5e-3, 1e-2,   2.5e-2, 5e-2, 0.1,    0.25, 0.5,  1.0,
                                     2.5,  5.0,    10.0,   25.0, 50.0,   100.0};

constexpr int pressure_value(MemoryPressure level) noexcept {
  return static_cast<int>(level);
}

// Prometheus' types by name: a counter's name ends in _total, everything else here is a gauge.
std::string_view type_of(std::string_view name) noexcept {
  return name.ends_with("_total") ? "counter" : "gauge";
}

// A metric with one sample, of the run as a whole.
template <class V>
void run_metric(std::string& out, std::string_view name, std::string_view help,
                std::string_view labels, V value) {
  family(out, name, type_of(name), help);
  sample(out, name, labels, value);
}

// A metric with a sample per node instance that has one: `value(series)`, or nullopt.
template <class Series, class Value>
void node_metric(std::string& out, std::string_view name, std::string_view help,
                 const std::vector<Series>& series, Value value) {
  family(out, name, type_of(name), help);
  for (const Series& s : series) {
    if (const auto v = value(s)) sample(out, name, s.labels, *v);
  }
}

// A watermark that says something: not before the first, not after the end.
constexpr bool known(EventTime watermark) noexcept {
  return watermark != kMinEventTime && watermark != kMaxEventTime;
}

}  // namespace

struct LiveView::Series {
  std::string labels;  // graph, node, op, instance, rank
  NodeId node = 0;
  NodeCounters counters;
  LatencyHistogram latency;
  std::int64_t busy_ns = 0;
  std::int64_t blocked_ns = 0;
  bool head = false;  // the chain's first node: the watermark and input channel are its
  EventTime watermark = kMinEventTime;
  std::int64_t queued = -1;  // events in the input channel; -1: the head has none (a source)
  std::int64_t capacity = 0;
};

bool LiveView::wanted(const RunOptions& options) noexcept {
  return options.metrics.port.has_value() || static_cast<bool>(options.on_progress);
}

LiveView::LiveView(const Graph& graph, const Built& built, RunContext& run,
                   const RunOptions& options, std::function<CheckpointReport()> checkpoints)
    : graph_(&graph),
      built_(&built),
      run_(&run),
      options_(options),
      checkpoints_(std::move(checkpoints)),
      started_(Clock::now()),
      run_labels_(
          fmt::format("graph=\"{}\",rank=\"{}\"", escaped(graph.name()), built.placement.rank)),
      last_items_out_(graph.node_count(), 0),
      last_scrape_(started_) {
  for (auto& task : run.tasks) {
    std::vector<const InstanceMetrics*> metrics;
    for (const NodeId id : task->op_nodes) metrics.push_back(&built.metrics[id][task->instance()]);
    task->live = std::make_unique<LiveFigures>(std::move(metrics));
  }
  if (options.on_progress) run.set_progress_detail([this](RunProgress& p) { add_to(p); });
  if (!options.metrics.port) return;
  std::uint16_t port = *options.metrics.port;
  if (port != 0) port = static_cast<std::uint16_t>(port + built.placement.rank);
  server_.emplace(options.metrics.address, port, [this] { return prometheus_text(); });
  if (options.metrics.on_listening) options.metrics.on_listening(server_->port());
}

std::vector<LiveView::Series> LiveView::collect() const {
  std::vector<Series> all;
  for (const auto& task : run_->tasks) {
    const TaskFigures figures = task->live->read();
    for (std::size_t i = 0; i < task->op_nodes.size(); ++i) {
      const NodeId id = task->op_nodes[i];
      const NodeSpec& node = graph_->node(id);
      Series s;
      s.labels = fmt::format("{},node=\"{}\",op=\"{}\",instance=\"{}\"", run_labels_,
                             escaped(node.name()), escaped(node.op()), task->instance());
      s.node = id;
      s.counters = figures.counters[i];
      s.latency = figures.latency[i];
      s.busy_ns = figures.busy_ns;
      s.blocked_ns = figures.blocked_ns;
      s.head = i == 0;
      s.watermark = figures.watermark;
      if (s.head && task->input) {
        s.queued = task->input->size();
        s.capacity = task->input->capacity();
      }
      all.push_back(std::move(s));
    }
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const Series& a, const Series& b) { return a.node < b.node; });
  return all;
}

std::optional<double> LiveView::lag_seconds(EventTime watermark) const noexcept {
  if (!known(watermark)) return std::nullopt;
  const double unit = std::chrono::duration<double>(options_.metrics.event_time_unit).count();
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return now - static_cast<double>(watermark) * unit;
}

void LiveView::node_families(std::string& out, const std::vector<Series>& series) const {
  // values[s][c]: counter c of series s, in NodeCounters' order.
  std::vector<std::vector<std::uint64_t>> values(series.size());
  for (std::size_t s = 0; s < series.size(); ++s) {
    for_each_counter(series[s].counters,
                     [&](const char*, std::uint64_t value) { values[s].push_back(value); });
  }
  std::size_t c = 0;
  for_each_counter(NodeCounters{}, [&](const char* counter, std::uint64_t) {
    const auto [name, meaning] = counter_metric(counter);
    family(out, name, meaning.type, meaning.help);
    for (std::size_t s = 0; s < series.size(); ++s)
      sample(out, name, series[s].labels, values[s][c]);
    ++c;
  });
  const auto seconds = [](std::int64_t ns) {
    return std::optional(static_cast<double>(ns) * 1e-9);
  };
  node_metric(out, "streamweave_node_busy_seconds_total",
              "Time the instance's task spent working (nodes fused in one task share it).", series,
              [&](const Series& s) { return seconds(s.busy_ns); });
  node_metric(out, "streamweave_node_backpressure_seconds_total",
              "Time the instance's task waited for room on a full output (shared as busy time).",
              series, [&](const Series& s) { return seconds(s.blocked_ns); });
  const auto with_input = [](const Series& s, std::int64_t value) {
    return s.queued >= 0 ? std::optional(value) : std::nullopt;
  };
  node_metric(out, "streamweave_node_input_queued",
              "Events (batches, watermarks, barriers) waiting in the input channel of a task's "
              "first node.",
              series, [&](const Series& s) { return with_input(s, s.queued); });
  node_metric(out, "streamweave_node_input_capacity",
              "The input channel's capacity in events (backpressure sets in at it).", series,
              [&](const Series& s) { return with_input(s, s.capacity); });
  node_metric(out, "streamweave_node_watermark",
              "The event-time watermark into a task's first node, in the graph's time unit.",
              series, [](const Series& s) {
                return s.head && known(s.watermark) ? std::optional(s.watermark) : std::nullopt;
              });
  node_metric(out, "streamweave_node_watermark_lag_seconds",
              "How far that watermark is behind the wall clock.", series,
              [this](const Series& s) { return s.head ? lag_seconds(s.watermark) : std::nullopt; });
}

void LiveView::latency_families(std::string& out, const std::vector<Series>& series) const {
  const std::string_view name = "streamweave_node_latency_seconds";
  bool any = false;
  for (const Series& s : series) {
    if (s.latency.counts.empty()) continue;
    if (!any)
      family(out, name, "histogram",
             "End-to-end latency of the items a "
             "measure_latency node saw (from their stamp to the node).");
    any = true;
    for (const double le : kLatencyBuckets) {
      out += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", name, s.labels, le,
                         s.latency.count_at_most(static_cast<std::int64_t>(le * 1e9)));
    }
    const std::uint64_t count = s.latency.count();
    out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", name, s.labels, count);
    sample(out, fmt::format("{}_sum", name), s.labels, s.latency.approximate_sum_ns() * 1e-9);
    sample(out, fmt::format("{}_count", name), s.labels, count);
  }
}

void LiveView::run_families(std::string& out) const {
  const std::string& labels = run_labels_;
  run_metric(out, "streamweave_run_elapsed_seconds", "Time since the run started.", labels,
             std::chrono::duration<double>(Clock::now() - started_).count());
  run_metric(out, "streamweave_run_tasks", "Tasks (instances of fused chains) of the run.", labels,
             run_->tasks.size());
  run_metric(out, "streamweave_run_threads", "Worker threads of the run.", labels, built_->threads);
  run_metric(out, "streamweave_memory_pressure",
             "Memory pressure at the last sample: 0 normal, 1 high, 2 critical.", labels,
             pressure_value(run_->pressure_now()));
  run_metric(out, "streamweave_source_throttles_total",
             "Source steps cut short and delayed by high memory pressure.", labels,
             run_->source_throttles());
  run_metric(out, "streamweave_source_pauses_total",
             "10 ms pauses of a source at critical memory pressure.", labels,
             run_->source_pauses());
  run_metric(out, "streamweave_resident_bytes", "Resident set size of the process.", labels,
             process_rss_bytes());
  run_metric(out, "streamweave_resident_peak_bytes", "The largest resident set sampled.", labels,
             run_->peak_rss_now());
  const BufferPoolStats pool = run_->buffer_pool().stats();
  run_metric(out, "streamweave_buffer_pool_acquired_total",
             "Buffers the batch buffer pool handed out.", labels, pool.acquired);
  run_metric(out, "streamweave_buffer_pool_reused_total",
             "Of those, buffers taken from the pool rather than allocated.", labels, pool.reused);
  run_metric(out, "streamweave_buffer_pool_retained_bytes", "Bytes the pool keeps for reuse.",
             labels, pool.retained_bytes);
  run_metric(out, "streamweave_buffer_pool_outstanding_bytes",
             "Bytes of the buffers handed out and not yet returned.", labels,
             pool.outstanding_bytes);
}

void LiveView::checkpoint_families(std::string& out) const {
  if (!checkpoints_) return;
  const CheckpointReport c = checkpoints_();
  const auto metric = [&](std::string_view name, std::string_view help, auto value) {
    run_metric(out, name, help, run_labels_, value);
  };
  metric("streamweave_checkpoints_completed_total", "Checkpoints completed.", c.completed);
  metric("streamweave_checkpoints_failed_total", "Checkpoints failed.", c.failed);
  metric("streamweave_checkpoints_unaligned_total", "Checkpoints some task passed unaligned.",
         c.unaligned);
  metric("streamweave_checkpoint_restored_from", "The checkpoint the run started from (0: none).",
         c.restored_from);
  metric("streamweave_checkpoint_last_id", "The last complete checkpoint (0: none yet).",
         c.last_id);
  metric("streamweave_checkpoint_last_duration_seconds", "How long the last one took.",
         c.last_duration_seconds);
  metric("streamweave_checkpoint_last_bytes", "Bytes of the last one's state files.", c.last_bytes);
  metric("streamweave_checkpoint_last_alignment_seconds",
         "The last one's longest wait for barriers.", c.last_alignment_seconds);
  metric("streamweave_checkpoint_last_in_flight_bytes",
         "In-flight bytes the last one saved (unaligned).", c.last_in_flight_bytes);
}

std::string LiveView::prometheus_text() const {
  const std::vector<Series> series = collect();
  std::string out;
  node_families(out, series);
  latency_families(out, series);
  {
    std::lock_guard lock(rates_mutex_);
    const Clock::time_point now = Clock::now();
    const double since = std::chrono::duration<double>(now - last_scrape_).count();
    std::vector<std::uint64_t> items_out(graph_->node_count(), 0);
    for (const Series& s : series) items_out[s.node] += s.counters.items_out;
    family(out, "streamweave_node_items_out_per_second", "gauge",
           "Items the node emitted per second (all instances on this rank), since the previous "
           "scrape.");
    for (NodeId id = 0; id < graph_->node_count(); ++id) {
      const double rate =
          since > 0 ? static_cast<double>(items_out[id] - last_items_out_[id]) / since : 0;
      sample(out, "streamweave_node_items_out_per_second",
             fmt::format("{},node=\"{}\",op=\"{}\"", run_labels_, escaped(graph_->node(id).name()),
                         escaped(graph_->node(id).op())),
             rate);
    }
    last_items_out_ = std::move(items_out);
    last_scrape_ = now;
  }
  run_families(out);
  checkpoint_families(out);
  return out;
}

void LiveView::add_to(RunProgress& progress) {
  std::optional<double> worst;
  for (const auto& task : run_->tasks) {
    if (task->op_nodes.empty() || task->source != nullptr) continue;
    const TaskFigures figures = task->live->read();
    if (figures.finished) continue;
    if (const std::optional<double> lag = lag_seconds(figures.watermark)) {
      worst = worst ? std::max(*worst, *lag) : *lag;
    }
  }
  progress.watermark_lag_seconds = worst;
  if (!checkpoints_) return;
  const std::uint64_t last = checkpoints_().last_id;
  const Clock::time_point now = Clock::now();
  if (last != last_checkpoint_) {
    last_checkpoint_ = last;
    last_checkpoint_seen_ = now;
  }
  progress.last_checkpoint = last_checkpoint_;
  if (last_checkpoint_ != 0) {
    progress.last_checkpoint_age_seconds =
        std::chrono::duration<double>(now - last_checkpoint_seen_).count();
  }
}

}  // namespace sw::runtime
