// read_redis_stream / write_redis_stream against a real redis-server (tests/support/servers.hpp):
// consumer groups, acknowledgement, exactly-once through a crash and a restart on another
// parallelism, and the faults — a server down at start, gone mid-run, a wrong password, a
// malformed entry.
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include <chrono>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "streamweave/operators/io/redis_client.hpp"
#include "support/checkpoint_files.hpp"
#include "support/servers.hpp"
#include "support/temp_dir.hpp"
#include "support/watchdog.hpp"

namespace {

// XADDs "data" = "0", "1", ... "n-1" (from `first` on) to `stream`, pipelined.
void push_numbers(sw::RedisClient& client, const std::string& stream, std::uint64_t n,
                  std::uint64_t first = 0) {
  for (std::uint64_t i = first; i < first + n; ++i) {
    const std::string value = std::to_string(i);
    const std::array<std::string_view, 5> args{"XADD", stream, "*", "data", value};
    client.append(args);
  }
  for (std::uint64_t i = 0; i < n; ++i) client.expect_ok(client.reply().value(), "XADD");
}

// The values of field "data" in `stream`, in stream order.
std::vector<std::string> stream_values(sw::RedisClient& client, const std::string& stream) {
  const sw::RedisReply reply = client.command({"XRANGE", stream, "-", "+"});
  std::vector<std::string> values;
  for (std::size_t i = 0; i < reply.value().size(); ++i) {
    const sw::RedisValue fields = reply.value()[i][1];
    for (std::size_t f = 0; f + 1 < fields.size(); f += 2) {
      if (fields[f].str() == "data") values.emplace_back(fields[f + 1].str());
    }
  }
  return values;
}

long long pending_entries(sw::RedisClient& client, const std::string& stream,
                          const std::string& group) {
  const sw::RedisReply reply = client.command({"XPENDING", stream, group});
  return reply.value()[0].integer();
}

std::multiset<std::string> numbers_as_text(std::uint64_t n) {
  std::multiset<std::string> all;
  for (std::uint64_t i = 0; i < n; ++i) all.insert(std::to_string(i));
  return all;
}

// in -> (parse, +1000000, back to text) -> out; and the sum of what was read, kept as state.
sw::RunReport copy_and_sum(const std::string& in, const std::string& out, unsigned parallelism,
                           const sw::RunOptions& options, std::uint64_t& sum) {
  sw::Graph g{"redis_copy"};
  auto numbers = g.source("in", sw::read_redis_stream(in), {.parallelism = parallelism})
                     .map("parse", [](const sw::Str& s) { return std::stoull(s.str()); });
  numbers.map("shift", [](std::uint64_t x) { return std::to_string(x + 1'000'000); })
      .sink("out", sw::write_redis_stream(out), {.parallelism = parallelism});
  std::vector<sw::KeyValue<int, std::uint64_t>> sums;
  numbers.key_by([](std::uint64_t) { return 0; })
      .reduce("sum", [](std::uint64_t a, std::uint64_t b) { return a + b; },
              {.emit = sw::Emit::at_end, .node = {.parallelism = 1}})
      .sink("sums", sw::collect(sums));
  const sw::RunReport r = sw::run(g, options);
  sum = sums.empty() ? 0 : sums.front().value;
  return r;
}

}  // namespace

TEST_CASE("A redis stream URI is checked when the graph is built, naming what is wrong") {
  CHECK_THROWS_WITH(sw::read_redis_stream("http://h/s"), Catch::Contains("not a redis:// URI"));
  CHECK_THROWS_WITH(sw::read_redis_stream("redis://h:99999/s"),
                    Catch::Contains("'99999' is not a port"));
  CHECK_THROWS_WITH(sw::read_redis_stream("redis://h:1"), Catch::Contains("no stream"));
  CHECK_THROWS_WITH(sw::read_redis_stream("redis://h/s?grup=g"),
                    Catch::Contains("no parameter 'grup'") && Catch::Contains("group"));
  CHECK_THROWS_WITH(sw::write_redis_stream("redis://h/s?drain=2"), Catch::Contains("drain=2"));
  const sw::RedisAddress a =
      sw::RedisAddress::parse("redis://u:p%40ss@example:7000/my%20s?group=g");
  CHECK(a.host == "example");
  CHECK(a.port == 7000);
  CHECK(a.user == "u");
  CHECK(a.password == "p@ss");
  CHECK(a.path == "my s");
  CHECK(a.query_value("group") == "g");
  CHECK(a.uri() == "redis://example:7000/my s");  // no password in messages
}

TEST_CASE("A redis stream read by a consumer group of parallel instances, each entry once") {
  sw::test::Watchdog watchdog("redis read", std::chrono::seconds(60));
  sw::test::RedisServer server;
  sw::RedisClient client = server.client();
  constexpr std::uint64_t kEntries = 20'000;
  push_numbers(client, "in", kEntries);
  std::mt19937 rng(std::random_device{}());
  const unsigned parallelism = 1 + rng() % 3;
  INFO("parallelism " << parallelism);
  sw::Graph g{"redis_read"};
  std::vector<std::string> seen;
  g.source("in", sw::read_redis_stream(server.uri() + "/in?group=g&drain=1"),
           {.parallelism = parallelism, .batch_size = 1 + rng() % 2000})
      .map("text", [](const sw::Str& s) { return s.str(); })
      .sink("seen", sw::collect(seen));
  const sw::RunReport r = sw::run(g, {.threads = 2});
  CHECK(std::multiset<std::string>(seen.begin(), seen.end()) == numbers_as_text(kEntries));
  CHECK(r.node("in").items_out == kEntries);
  CHECK(pending_entries(client, "in", "g") == 0);  // without checkpoints: acknowledged as read
}

TEST_CASE("A redis stream sink appends every item, pipelined") {
  sw::test::Watchdog watchdog("redis write", std::chrono::seconds(60));
  sw::test::RedisServer server;
  sw::Graph g{"redis_write"};
  g.source("numbers", sw::generate<std::uint64_t>(10'000, [](std::uint64_t i) { return i; }))
      .sink("out", sw::write_redis_stream(server.uri() + "/out"), {.parallelism = 2});
  (void)sw::run(g, {.threads = 2, .batch_size = 333});
  sw::RedisClient client = server.client();
  const std::vector<std::string> values = stream_values(client, "out");
  CHECK(std::multiset<std::string>(values.begin(), values.end()) == numbers_as_text(10'000));
}

TEST_CASE("Redis to redis through a crash and a restart on another parallelism, exactly once") {
  sw::test::Watchdog watchdog("redis exactly once", std::chrono::seconds(120));
  std::mt19937 rng(std::random_device{}());
  sw::test::RedisServer server;
  sw::RedisClient client = server.client();
  constexpr std::uint64_t kEntries = 30'000;
  push_numbers(client, "in", kEntries);
  sw::test::TempDir dir;
  const unsigned before = 1 + rng() % 3;
  const unsigned after = 1 + rng() % 3;
  INFO("parallelism " << before << ", restored into " << after);

  sw::RunOptions o;
  o.threads = 2;
  o.batch_size = 64 + rng() % 500;
  o.checkpoints.directory = dir.file("checkpoints");
  o.checkpoints.interval = std::chrono::milliseconds(20);
  o.source_rate = 60'000;  // about half a second for all: the stop comes midway
  sw::CancelToken stop;
  o.cancel = stop;
  o.progress_interval = std::chrono::milliseconds(10);
  const std::filesystem::path checkpoints = dir.file("checkpoints");
  o.on_progress = [=](const sw::RunProgress& p) {
    if (p.elapsed_seconds >= 0.15 && sw::test::complete_checkpoints(checkpoints) >= 2)
      stop.cancel();
  };
  std::uint64_t sum = 0;
  const std::string in = server.uri() + "/in?group=g";
  const sw::RunReport first = copy_and_sum(in, server.uri() + "/out", before, o, sum);
  REQUIRE(first.status == sw::RunReport::Status::cancelled);
  REQUIRE(first.checkpoints.completed >= 2);
  CHECK(stream_values(client, "out").size() < kEntries);  // the crash cut it short

  sw::RunOptions again;
  again.threads = 2;
  again.batch_size = 64 + rng() % 500;
  again.checkpoints.directory = dir.file("checkpoints");
  again.checkpoints.interval = std::chrono::milliseconds(20);
  const sw::RunReport second =
      copy_and_sum(in + "&drain=1", server.uri() + "/out", after, again, sum);
  CHECK(second.checkpoints.restored_from != 0);
  CHECK(sum == kEntries * (kEntries - 1) / 2);  // the state saw each entry once
  std::multiset<std::string> expected;
  for (std::uint64_t i = 0; i < kEntries; ++i) expected.insert(std::to_string(i + 1'000'000));
  const std::vector<std::string> out = stream_values(client, "out");
  CHECK(out.size() == kEntries);  // no duplicate, nothing lost
  CHECK(std::multiset<std::string>(out.begin(), out.end()) == expected);
  CHECK(pending_entries(client, "in", "g") == 0);  // every entry acknowledged in the end
}

TEST_CASE("A redis server that is down at start fails the node, naming the URI") {
  sw::test::Watchdog watchdog("redis down", std::chrono::seconds(60));
  const std::string uri = "redis://127.0.0.1:" + std::to_string(sw::test::free_loopback_port());
  sw::Graph g{"redis_down"};
  std::vector<sw::Str> seen;
  g.source("in", sw::read_redis_stream(uri + "/in")).sink("seen", sw::collect(seen));
  CHECK_THROWS_WITH(sw::run(g, {.threads = 2}),
                    Catch::Contains("node 'in'") &&
                        Catch::Contains("cannot connect to " + uri + "/in") &&
                        Catch::Contains("refused"));
  sw::Graph w{"redis_down_sink"};
  w.source("n", sw::generate<std::uint64_t>(10, [](std::uint64_t i) { return i; }))
      .sink("out", sw::write_redis_stream(uri + "/out"));
  CHECK_THROWS_WITH(sw::run(w, {.threads = 2}),
                    Catch::Contains("cannot connect to " + uri + "/out"));
}

TEST_CASE("A wrong redis password fails with the server's answer, the right one reads") {
  sw::test::Watchdog watchdog("redis auth", std::chrono::seconds(60));
  sw::test::RedisServer server({"--requirepass", "s3cret"});
  sw::RedisClient client = server.client("s3cret");
  push_numbers(client, "in", 100);
  const std::string host = "127.0.0.1:" + std::to_string(server.port());
  sw::Graph bad{"redis_auth"};
  std::vector<sw::Str> seen;
  bad.source("in", sw::read_redis_stream("redis://:wrong@" + host + "/in?drain=1"))
      .sink("seen", sw::collect(seen));
  CHECK_THROWS_WITH(sw::run(bad, {.threads = 2}),
                    Catch::Contains("authentication to redis://" + host + "/in failed") &&
                        !Catch::Contains("wrong"));
  sw::Graph good{"redis_auth"};
  good.source("in", sw::read_redis_stream("redis://:s3cret@" + host + "/in?drain=1"))
      .sink("seen", sw::collect(seen));
  (void)sw::run(good, {.threads = 2});
  CHECK(seen.size() == 100);
}

TEST_CASE("A redis server lost mid-run is retried, then the node fails with the cause") {
  sw::test::Watchdog watchdog("redis lost", std::chrono::seconds(60));
  sw::test::RedisServer server;
  sw::RedisClient client = server.client();
  push_numbers(client, "in", 1000);
  sw::Graph g{"redis_lost"};
  std::atomic<std::uint64_t> seen{0};
  sw::RedisSourceOptions options;
  options.retry_for = std::chrono::milliseconds(600);
  g.source("in", sw::read_redis_stream(server.uri() + "/in", options), {.parallelism = 1})
      .sink("seen", sw::for_each([&](const sw::Str&) { ++seen; }));
  std::thread killer([&] {
    while (seen.load() < 1000) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    server.stop();
  });
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(
      sw::run(g, {.threads = 2}),
      Catch::Contains("node 'in'") && Catch::Contains("gave up after retrying for 600 ms"));
  killer.join();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
  CHECK(seen.load() == 1000);
}

TEST_CASE("A redis server back within the retry time is read on from") {
  sw::test::Watchdog watchdog("redis back", std::chrono::seconds(60));
  sw::test::RedisServer server;
  {
    sw::RedisClient client = server.client();
    push_numbers(client, "in", 500);
  }
  sw::Graph g{"redis_back"};
  std::atomic<std::uint64_t> seen{0};
  g.source("in", sw::read_redis_stream(server.uri() + "/in"), {.parallelism = 1})
      .sink("seen", sw::for_each([&](const sw::Str&) { ++seen; }));
  // The first 500 read, the server restarts (empty: no persistence) while the source
  // retries, gets 300 more, and the run is stopped once they are read.
  sw::CancelToken stop;
  std::thread restarter([&] {
    while (seen.load() < 500) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    server.start();
    sw::RedisClient client = server.client();
    push_numbers(client, "in", 300, 500);
    while (seen.load() < 800) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    stop.cancel();
  });
  sw::RunOptions options;
  options.threads = 2;
  options.cancel = stop;
  const sw::RunReport r = sw::run(g, options);
  restarter.join();
  CHECK(r.status == sw::RunReport::Status::cancelled);
  CHECK(seen.load() == 800);
}

TEST_CASE("A redis entry without the field fails the node, or is skipped and named") {
  sw::test::Watchdog watchdog("redis malformed", std::chrono::seconds(60));
  sw::test::RedisServer server;
  sw::RedisClient client = server.client();
  push_numbers(client, "in", 10);
  client.expect_ok(client.command({"XADD", "in", "*", "other", "x"}).value(), "XADD");
  push_numbers(client, "in", 10, 10);
  {
    sw::Graph g{"redis_skip"};
    std::vector<sw::Str> seen;
    g.source("in", sw::read_redis_stream(server.uri() + "/in?group=skip&drain=1&malformed=skip"),
             {.parallelism = 1})
        .sink("seen", sw::collect(seen));
    const sw::RunReport r = sw::run(g, {.threads = 2});
    CHECK(seen.size() == 20);
    CHECK(r.node("in").errors_skipped == 1);
    CHECK_THAT(r.summary(), Catch::Contains("has no field 'data'"));
    CHECK(pending_entries(client, "in", "skip") == 0);
  }
  sw::Graph g{"redis_stop"};
  std::vector<sw::Str> seen;
  g.source("in", sw::read_redis_stream(server.uri() + "/in?group=stop&drain=1"), {.parallelism = 1})
      .sink("seen", sw::collect(seen));
  CHECK_THROWS_WITH(sw::run(g, {.threads = 2}),
                    Catch::Contains("node 'in'") && Catch::Contains("has no field 'data'"));
}
