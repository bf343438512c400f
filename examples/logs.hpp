// The logs sample: JSON-lines web access logs -> requests and p99 latency per path per
// 1-minute event-time window.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/describe.hpp>
#include <streamweave/streamweave.hpp>

#include "pipelines.hpp"

namespace sw::examples {

struct AccessLog {
  std::int64_t time_ms = 0;  // event time, ms since the epoch
  Symbol method;
  Symbol path;
  std::int32_t status = 0;
  double latency_ms = 0;
};
BOOST_DESCRIBE_STRUCT(AccessLog, (), (time_ms, method, path, status, latency_ms))

// One row of the result.
struct PathMinute {
  Symbol path;
  std::int64_t minute = 0;  // the window's start, ms since the epoch
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;  // status >= 500
  double p99_ms = 0;         // nearest-rank 99th percentile of the latencies
};
BOOST_DESCRIBE_STRUCT(PathMinute, (), (path, minute, requests, errors, p99_ms))

// Nearest-rank p-th percentile (0 < p <= 100) of `values`, which it reorders; 0 when empty.
double percentile(std::vector<double>& values, double p);

// Writes `events` access-log lines to `path`: timestamps about 1 ms apart from 2026-11-23
// 00:00 UTC, up to 2 s out of order, paths and latencies skewed as real traffic is.
void write_sample_logs(const std::string& path, std::uint64_t events, std::uint64_t seed = 1);

// Adds read_json_lines -> watermarks (5 s out of order) -> key_by(path) -> 1-minute windows
// -> PathMinute rows to `g`; writes the rows as CSV to config.output when set. Bad lines are
// skipped and counted (the report's errors).
ResultPrinter build_logs(Graph& g, const PipelineConfig& config);

// The rows of that pipeline for `input`, run with `options`: for tests.
std::vector<PathMinute> run_logs(const std::string& input, const RunOptions& options);

}  // namespace sw::examples
