// The logs sample against the same rows computed here without the engine.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <random>
#include <streamweave/serde/json.hpp>
#include <tuple>

#include "logs.hpp"
#include "support/temp_dir.hpp"
#include "support/watchdog.hpp"

namespace ex = sw::examples;

namespace {

using Row = std::tuple<std::string, std::int64_t, std::uint64_t, std::uint64_t, double>;

std::vector<Row> rows_of(const std::vector<ex::PathMinute>& rows) {
  std::vector<Row> out;
  for (const auto& r : rows)
    out.emplace_back(r.path.str(), r.minute, r.requests, r.errors, r.p99_ms);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Row> expected_rows(const std::string& path) {
  std::map<std::pair<std::string, std::int64_t>, std::vector<ex::AccessLog>> windows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto a = sw::from_json<ex::AccessLog>(line);
    windows[{a.path.str(), a.time_ms - a.time_ms % 60'000}].push_back(a);
  }
  std::vector<Row> out;
  for (const auto& [key, logs] : windows) {
    std::vector<double> latencies;
    std::uint64_t errors = 0;
    for (const auto& a : logs) {
      latencies.push_back(a.latency_ms);
      errors += a.status >= 500 ? 1 : 0;
    }
    out.emplace_back(key.first, key.second, logs.size(), errors, ex::percentile(latencies, 99));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("percentile: nearest rank") {
  std::vector<double> v{5, 1, 4, 2, 3};
  CHECK(ex::percentile(v, 50) == 3);
  CHECK(ex::percentile(v, 99) == 5);
  CHECK(ex::percentile(v, 20) == 1);
  std::vector<double> none;
  CHECK(ex::percentile(none, 99) == 0);
}

TEST_CASE("logs: requests and p99 per path per minute, with any parallelism and batch size") {
  sw::test::Watchdog watchdog("logs", std::chrono::seconds(120));
  sw::test::TempDir dir;
  const std::string logs = dir.file("access.jsonl");
  ex::write_sample_logs(logs, 200000, 3);
  const auto expected = expected_rows(logs);
  REQUIRE(expected.size() > 30);
  std::mt19937 random(5);
  for (int round = 0; round < 3; ++round) {
    sw::RunOptions options;
    options.threads = 1 + static_cast<unsigned>(random() % 4);
    options.batch_size = 1 + random() % 2000;
    INFO("threads " << options.threads << ", batch " << options.batch_size);
    CHECK(rows_of(ex::run_logs(logs, options)) == expected);
  }
}

TEST_CASE("logs: a bad line is skipped and counted, the rest computed") {
  sw::test::TempDir dir;
  const std::string logs = dir.file("access.jsonl");
  ex::write_sample_logs(logs, 5000, 9);
  const auto expected = expected_rows(logs);
  { std::ofstream(logs, std::ios::app) << "{\"time_ms\": \"yesterday\"}\nnot json\n"; }
  sw::Graph g{"logs"};
  ex::PipelineConfig config;
  config.input = logs;
  config.output = dir.file("rows.csv");
  std::ostringstream printed;
  ex::build_logs(g, config)(printed, sw::run(g, {.threads = 2}));
  CHECK_THAT(printed.str(), Catch::Contains("2 bad lines skipped"));
  // The CSV written has a header and one line per row.
  std::ifstream csv(config.output);
  std::string header;
  std::getline(csv, header);
  CHECK(header == "path,minute,requests,errors,p99_ms");
  std::size_t lines = 0;
  for (std::string line; std::getline(csv, line);) ++lines;
  CHECK(lines == expected.size());
}
