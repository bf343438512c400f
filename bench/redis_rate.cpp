// The Redis Streams connectors against the same commands sent by a plain loop, on the same
// server (bench/redis.sh starts one and adds redis-benchmark's pipelined XADD):
//   write: write_redis_stream of --entries values of --value-bytes bytes (one pipeline of XADDs
//          per batch; with --checkpointed, the scripted commit per checkpoint);
//   read:  read_redis_stream (drain=1) of that stream with a consumer group, against a loop of
//          XREADGROUP COUNT <batch> and XACK of what it read, the source's commands without
//          checkpoints.
// Prints entries/s of each and the ratios.
//   redis_rate --uri redis://127.0.0.1:PORT [--entries 1000000] [--value-bytes 16]
//              [--batch 1024] [--threads 2] [--checkpointed]
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <streamweave/operators/io/redis_client.hpp>
#include <streamweave/streamweave.hpp>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double write_rate(const std::string& uri, std::uint64_t entries, std::size_t value_bytes,
                  sw::RunOptions options) {
  sw::Graph g{"redis_write"};
  const std::string value(value_bytes, 'v');
  g.source("values",
           sw::generate<sw::Str>(entries, [v = sw::Str(value)](std::uint64_t) { return v; }),
           {.parallelism = 1})
      .sink("out", sw::write_redis_stream(uri), {.parallelism = 1});
  const auto start = Clock::now();
  (void)sw::run(g, options);
  return static_cast<double>(entries) / seconds_since(start);
}

double read_rate(const std::string& uri, std::uint64_t entries, sw::RunOptions options) {
  sw::Graph g{"redis_read"};
  std::uint64_t n = 0;
  g.source("in", sw::read_redis_stream(uri), {.parallelism = 1}).sink("n", sw::count(n));
  const auto start = Clock::now();
  (void)sw::run(g, options);
  const double seconds = seconds_since(start);
  if (n != entries) throw std::runtime_error(fmt::format("read {} of {} entries", n, entries));
  return static_cast<double>(n) / seconds;
}

// XREADGROUP COUNT batch > and XACK of its IDs, until nothing is left.
double plain_read_rate(sw::RedisClient& client, const std::string& stream, std::uint64_t entries,
                       std::size_t batch) {
  client.expect_ok(client.command({"XGROUP", "CREATE", stream, "plain", "0"}).value(), "XGROUP");
  const std::string count = std::to_string(batch);
  std::uint64_t n = 0;
  std::vector<std::string_view> ack;
  const auto start = Clock::now();
  for (;;) {
    const sw::RedisReply reply = client.command(
        {"XREADGROUP", "GROUP", "plain", "plain-0", "COUNT", count, "STREAMS", stream, ">"});
    if (!reply.value().is_array()) break;
    const sw::RedisValue read = reply.value()[0][1];
    ack.assign({"XACK", stream, "plain"});
    for (std::size_t i = 0; i < read.size(); ++i) {
      ack.push_back(read[i][0].str());
      n += read[i][1].size() == 2 ? 1 : 0;
    }
    client.expect_ok(client.command(ack).value(), "XACK");
  }
  const double seconds = seconds_since(start);
  if (n != entries) throw std::runtime_error(fmt::format("plain read {} of {}", n, entries));
  return static_cast<double>(n) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Redis Streams connectors against plain loops of the same commands"};
  std::string uri;
  std::uint64_t entries = 1'000'000;
  std::size_t value_bytes = 16;
  std::size_t batch = 1024;
  unsigned threads = 2;
  bool checkpointed = false;
  app.add_option("--uri", uri, "redis://host:port of the server")->required();
  app.add_option("--entries", entries)->capture_default_str();
  app.add_option("--value-bytes", value_bytes)->capture_default_str();
  app.add_option("--batch", batch)->capture_default_str();
  app.add_option("--threads", threads)->capture_default_str();
  app.add_flag("--checkpointed", checkpointed, "the sink commits per checkpoint (every 1 s)");
  CLI11_PARSE(app, argc, argv);

  sw::RunOptions options;
  options.threads = threads;
  options.batch_size = batch;
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "redis_rate_chk";
  std::filesystem::remove_all(dir);
  if (checkpointed) options.checkpoints.directory = dir;
  const std::string stream = checkpointed ? "bench-checkpointed" : "bench";
  const double wrote = write_rate(uri + "/" + stream, entries, value_bytes, options);
  std::filesystem::remove_all(dir);
  fmt::print("write_redis_stream{}: {:.0f} entries/s\n", checkpointed ? " (checkpointed)" : "",
             wrote);

  options.checkpoints.directory.clear();
  const double read = read_rate(uri + "/" + stream + "?group=sw&drain=1", entries, options);
  sw::RedisClient client(sw::RedisAddress::parse(uri));
  const double plain = plain_read_rate(client, stream, entries, batch);
  fmt::print(
      "read_redis_stream: {:.0f} entries/s; plain XREADGROUP+XACK loop: {:.0f} "
      "entries/s; ratio {:.2f}\n",
      read, plain, read / plain);
  return 0;
}
