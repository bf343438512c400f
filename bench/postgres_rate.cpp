// The PostgreSQL connectors against the plainest clients of the same server (bench/postgres.sh
// starts one and times psql's \copy of the same rows):
//   --csv PATH   writes the --rows rows as CSV, for psql's \copy FROM (the baseline);
//   --write      write_postgresql of those rows into table bench_rows (binary COPY per batch;
//                with --checkpointed, one transaction per checkpoint);
//   --read       read_postgresql of bench_rows, against a loop of libpq's COPY TO STDOUT that
//                only counts the rows (what any reader does at least).
// Prints rows/s of each.
//   postgres_rate --uri postgresql://... [--rows 1000000] [--batch 1024] [--threads 2]
//                 [--csv PATH] [--write] [--checkpointed] [--read]
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <streamweave/operators/io/postgres_client.hpp>
#include <streamweave/streamweave.hpp>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

struct BenchRow {
  std::int64_t id = 0;
  std::string path;
  std::int64_t minute = 0;
  std::int64_t requests = 0;
  double p99_ms = 0;
};
BOOST_DESCRIBE_STRUCT(BenchRow, (), (id, path, minute, requests, p99_ms))

BenchRow bench_row(std::uint64_t i) {
  const auto n = static_cast<std::int64_t>(i);
  return {n, "/api/items/" + std::to_string(i % 64), 1'795'392'000'000 + n / 1000 * 60'000, n % 977,
          static_cast<double>(i % 5000) / 7.0};
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void write_csv(const std::string& path, std::uint64_t rows) {
  std::ofstream out(path);
  for (std::uint64_t i = 0; i < rows; ++i) {
    const BenchRow r = bench_row(i);
    out << fmt::format("{},{},{},{},{}\n", r.id, r.path, r.minute, r.requests, r.p99_ms);
  }
}

double write_rate(const std::string& uri, std::uint64_t rows, const sw::RunOptions& options) {
  sw::Graph g{"pg_write"};
  g.source("rows", sw::generate<BenchRow>(rows, bench_row), {.parallelism = 1})
      .sink("out", sw::write_postgresql(uri + "?table=bench_rows"), {.parallelism = 1});
  const auto start = Clock::now();
  (void)sw::run(g, options);
  return static_cast<double>(rows) / seconds_since(start);
}

double read_rate(const std::string& uri, std::uint64_t rows, const sw::RunOptions& options) {
  sw::Graph g{"pg_read"};
  std::uint64_t n = 0;
  g.source("in", sw::read_postgresql<BenchRow>(uri + "?table=bench_rows"), {.parallelism = 1})
      .sink("n", sw::count(n));
  const auto start = Clock::now();
  (void)sw::run(g, options);
  const double seconds = seconds_since(start);
  if (n != rows) throw std::runtime_error(fmt::format("read {} of {} rows", n, rows));
  return static_cast<double>(n) / seconds;
}

double plain_read_rate(const std::string& uri, std::uint64_t rows) {
  sw::PostgresClient client(sw::PostgresAddress::parse(uri));
  const auto start = Clock::now();
  client.copy_out("COPY bench_rows TO STDOUT (FORMAT binary)");
  std::uint64_t pieces = 0;
  std::string_view data;
  while (client.next(data)) ++pieces;
  const double seconds = seconds_since(start);
  if (pieces < rows) throw std::runtime_error(fmt::format("plain read {} of {}", pieces, rows));
  return static_cast<double>(rows) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"PostgreSQL connectors against psql's \\copy and a plain COPY loop"};
  std::string uri, csv;
  std::uint64_t rows = 1'000'000;
  std::size_t batch = 1024;
  unsigned threads = 2;
  bool write = false, read = false, checkpointed = false;
  app.add_option("--uri", uri, "postgresql://user:password@host:port/db")->required();
  app.add_option("--rows", rows)->capture_default_str();
  app.add_option("--batch", batch)->capture_default_str();
  app.add_option("--threads", threads)->capture_default_str();
  app.add_option("--csv", csv, "write the rows as CSV here, for psql's \\copy");
  app.add_flag("--write", write, "time write_postgresql into bench_rows");
  app.add_flag("--checkpointed", checkpointed, "the sink commits per checkpoint (every 1 s)");
  app.add_flag("--read", read, "time read_postgresql of bench_rows and a plain COPY loop");
  CLI11_PARSE(app, argc, argv);

  if (!csv.empty()) write_csv(csv, rows);
  sw::RunOptions options;
  options.threads = threads;
  options.batch_size = batch;
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "postgres_rate_chk";
  if (write) {
    std::filesystem::remove_all(dir);
    if (checkpointed) options.checkpoints.directory = dir;
    fmt::print("write_postgresql{}: {:.0f} rows/s\n", checkpointed ? " (checkpointed)" : "",
               write_rate(uri, rows, options));
    std::filesystem::remove_all(dir);
    options.checkpoints.directory.clear();
  }
  if (read) {
    const double ours = read_rate(uri, rows, options);
    const double plain = plain_read_rate(uri, rows);
    fmt::print(
        "read_postgresql: {:.0f} rows/s; plain COPY TO STDOUT loop: {:.0f} rows/s; "
        "ratio {:.2f}\n",
        ours, plain, ours / plain);
  }
  return 0;
}
