// Internal: a run's figures while it runs — what its tasks published (LiveFigures), its
// checkpoints and its memory — as Prometheus text for the metrics server (MetricsOptions),
// and as the watermark lag and last checkpoint of the progress line. In distributed mode
// each rank has its own, over its own instances.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "build.hpp"
#include "metrics_server.hpp"
#include "streamweave/engine/graph.hpp"
#include "streamweave/runtime/options.hpp"
#include "streamweave/runtime/report.hpp"

namespace sw::runtime {

class LiveView {
 public:
  // Whether a run of `options` shows live figures (a metrics port or a progress callback).
  [[nodiscard]] static bool wanted(const RunOptions& options) noexcept;

  // Gives each task of `run` its LiveFigures, hooks the progress line, and with a metrics
  // port starts the server (rank r of a distributed run on port + r) and calls on_listening.
  // `checkpoints` returns what the run's checkpoints did so far (null: none). Main thread,
  // after build, before any task runs. Throws std::system_error when it cannot listen.
  LiveView(const Graph& graph, const Built& built, RunContext& run, const RunOptions& options,
           std::function<CheckpointReport()> checkpoints);
  LiveView(const LiveView&) = delete;
  LiveView& operator=(const LiveView&) = delete;

  // Everything, in Prometheus' text exposition format (version 0.0.4). Any thread.
  [[nodiscard]] std::string prometheus_text() const;
  // The watermark lag and the last checkpoint, into a progress report. Main thread.
  void add_to(RunProgress& progress);

 private:
  struct Series;
  // One node instance's figures (label set, counters, times); nodes in chain order per task.
  [[nodiscard]] std::vector<Series> collect() const;
  void node_families(std::string& out, const std::vector<Series>& series) const;
  void latency_families(std::string& out, const std::vector<Series>& series) const;
  void run_families(std::string& out) const;
  void checkpoint_families(std::string& out) const;
  [[nodiscard]] std::optional<double> lag_seconds(EventTime watermark) const noexcept;

  const Graph* graph_;
  const Built* built_;
  RunContext* run_;
  RunOptions options_;
  std::function<CheckpointReport()> checkpoints_;
  Clock::time_point started_;
  std::string run_labels_;  // graph="...",rank="..."

  mutable std::mutex rates_mutex_;  // the previous scrape's items out per node, for rates
  mutable std::vector<std::uint64_t> last_items_out_;
  mutable Clock::time_point last_scrape_;

  std::uint64_t last_checkpoint_ = 0;  // add_to's: the last one seen, and when
  Clock::time_point last_checkpoint_seen_{};

  std::optional<MetricsServer> server_;  // last: stops before the rest goes
};

}  // namespace sw::runtime
