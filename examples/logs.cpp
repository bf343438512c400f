#include "logs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <streamweave/operators/json_lines.hpp>
#include <streamweave/operators/postgresql.hpp>
#include <streamweave/operators/redis_stream.hpp>

#include "sample_file.hpp"

namespace sw::examples {

namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kStart = 1'795'392'000'000;  // 2026-11-23T00:00:00Z

// The access logs of `input`: JSON lines of a file (or standard input), or the "data" field
// of a Redis stream's entries (redis://...).
template <class Continue>
auto access_logs(Graph& g, const std::string& input, const PipelineConfig& config,
                 Continue&& then) {
  const NodeOptions parse{.errors = ErrorPolicy::skip(config.max_errors)};
  if (input.starts_with("redis://")) {
    return then(g.source("logs", read_redis_stream(input))
                    .map("logs.parse", parse_json<AccessLog>(), parse));
  }
  return then(read_json_lines<AccessLog>(g, "logs", input, parse,
                                         {.max_record_bytes = config.max_line_bytes}));
}

// Per path and minute of event time: requests, errors, p99 latency.
template <class Logs>
Stream<PathMinute> per_minute(Logs logs) {
  return logs
      .with_watermarks("event-time", [](const AccessLog& a) { return a.time_ms; },
                       {.out_of_orderness = 5'000})
      .key_by([](const AccessLog& a) { return a.path; })
      .window(
          "per-minute", tumbling(kMinute), [](const AccessLog& a) { return a.time_ms; },
          process_window<AccessLog>(
              [](Symbol path, EventTime start, EventTime, std::span<const AccessLog> window) {
                std::vector<double> latencies;
                latencies.reserve(window.size());
                std::uint64_t errors = 0;
                for (const AccessLog& a : window) {
                  latencies.push_back(a.latency_ms);
                  errors += a.status >= 500 ? 1 : 0;
                }
                return PathMinute{path, start, window.size(), errors, percentile(latencies, 99)};
              }))
      .map("rows", [](const Windowed<Symbol, PathMinute>& w) { return w.value; });
}

Stream<PathMinute> path_minutes(Graph& g, const std::string& input, const PipelineConfig& config) {
  return access_logs(g, input, config, [](auto logs) { return per_minute(std::move(logs)); });
}

}  // namespace

double percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  const auto rank =
      static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  const auto at = values.begin() + static_cast<std::ptrdiff_t>(std::max<std::size_t>(rank, 1) - 1);
  std::nth_element(values.begin(), at, values.end());
  return *at;
}

void write_sample_logs(const std::string& path, std::uint64_t events, std::uint64_t seed) {
  static constexpr const char* kPaths[] = {
      "/",         "/search",        "/login",          "/cart", "/checkout", "/api/items",
      "/api/user", "/static/app.js", "/static/app.css", "/help", "/orders",   "/admin"};
  static constexpr const char* kMethods[] = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
  constexpr std::size_t kPathCount = sizeof kPaths / sizeof kPaths[0];
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::lognormal_distribution<double> latency(3.0, 0.6);  // median ~20 ms, a long tail
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write " + path);
  std::string line;
  for (std::uint64_t i = 0; i < events; ++i) {
    if ((i & 0xFFFF) == 0) throw_if_stop_requested();
    const auto path_index =
        static_cast<std::size_t>(std::pow(static_cast<double>(kPathCount), unit(random)) - 1.0);
    const std::int64_t time =
        kStart + static_cast<std::int64_t>(i) - static_cast<std::int64_t>(random() % 2'000);
    const double slow = path_index == 4 ? 3.0 : 1.0;  // checkout is slow
    const std::int32_t status = random() % 200 == 0 ? 503 : random() % 50 == 0 ? 404 : 200;
    line = fmt::format(
        R"({{"time_ms": {}, "method": "{}", "path": "{}", "status": {}, "latency_ms": {:.3f}}})",
        time, kMethods[random() % 6], kPaths[std::min(path_index, kPathCount - 1)], status,
        latency(random) * slow);
    out << line << '\n';
  }
  if (!out) throw std::runtime_error("cannot write " + path);
}

ResultPrinter build_logs(Graph& g, const PipelineConfig& config) {
  std::shared_ptr<SampleFile> sample;
  const std::string input = input_or_sample(  // a Redis stream's URI is taken as it is
      config.input, "streamweave-logs.jsonl",
      [&](const std::string& path) { write_sample_logs(path, config.events); }, sample);
  auto rows = std::make_shared<std::vector<PathMinute>>();
  auto minutes = path_minutes(g, input, config);
  minutes.sink("collect", collect(*rows), {.parallelism = 1});
  if (config.output.starts_with("redis://")) {  // one JSON document per row
    minutes
        .map("json",
             [](const PathMinute& row) {
               std::string json;
               append_json(json, row);
               return json;
             })
        .sink("out", write_redis_stream(config.output));
  } else if (config.output.starts_with("postgresql://") ||
             config.output.starts_with("postgres://")) {  // one table row per path-minute
    minutes.sink("out", write_postgresql(config.output));
  } else if (!config.output.empty()) {
    minutes.sink("out", write_csv(config.output));
  }
  return [rows, sample](std::ostream& out, const RunReport& report) {
    std::sort(rows->begin(), rows->end(), [](const PathMinute& a, const PathMinute& b) {
      return a.requests != b.requests ? a.requests > b.requests : a.minute < b.minute;
    });
    std::uint64_t requests = 0;
    for (const PathMinute& r : *rows) requests += r.requests;
    out << fmt::format(
        "{} requests in {} path-minutes; {} bad lines skipped\n", requests, rows->size(),
        report.node("logs.parse").errors_skipped + report.node("logs").errors_skipped);
    out << "busiest path-minutes:\n";
    for (std::size_t i = 0; i < std::min<std::size_t>(5, rows->size()); ++i) {
      const PathMinute& r = (*rows)[i];
      out << fmt::format("  minute {:>3}  {:<16} {:>7} requests  {:>4} errors  p99 {:>8.2f} ms\n",
                         (r.minute - kStart) / kMinute, r.path.view(), r.requests, r.errors,
                         r.p99_ms);
    }
  };
}

std::vector<PathMinute> run_logs(const std::string& input, const RunOptions& options) {
  Graph g{"logs"};
  std::vector<PathMinute> rows;
  path_minutes(g, input, PipelineConfig{}).sink("collect", collect(rows), {.parallelism = 1});
  sw::run(g, options);
  return rows;
}

}  // namespace sw::examples
