// write_postgresql / read_postgresql against a real PostgreSQL cluster (tests/support/servers.hpp):
// every column type both ways, the source's key-range split, upserts, exactly-once through a
// crash and a restart on another parallelism, and the faults — a server down at start, a wrong
// password, a server lost mid-run, a value PostgreSQL would refuse, a table of other types.
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "streamweave/operators/io/postgres_client.hpp"
#include "support/checkpoint_files.hpp"
#include "support/servers.hpp"
#include "support/temp_dir.hpp"
#include "support/watchdog.hpp"

namespace {

struct Reading {
  std::int64_t id = 0;
  std::int32_t sensor = 0;
  std::int16_t small = 0;
  bool ok = false;
  double value = 0;
  float ratio = 0;
  std::uint64_t count = 0;
  std::string name;
  std::optional<std::int64_t> maybe;
  std::optional<std::string> note;
  bool operator==(const Reading&) const = default;
};
BOOST_DESCRIBE_STRUCT(Reading, (), (id, sensor, small, ok, value, ratio, count, name, maybe, note))

Reading reading(std::uint64_t i) {
  const auto n = static_cast<std::int64_t>(i);
  return Reading{n,
                 static_cast<std::int32_t>(n % 97) - 40,
                 static_cast<std::int16_t>(-(n % 300)),
                 i % 3 == 0,
                 static_cast<double>(n) * 0.25 - 1e6,
                 static_cast<float>(i % 1000) / 8.0F,
                 (std::uint64_t{1} << 62) + i,
                 "sensor \"" + std::to_string(i % 50) + "\" é, tab\there",
                 i % 7 == 0 ? std::nullopt : std::optional<std::int64_t>(-n),
                 i % 5 == 0 ? std::nullopt : std::optional<std::string>(std::string(i % 40, 'x'))};
}

struct Total {
  std::string key;
  std::int64_t minute = 0;
  std::int64_t total = 0;
};
BOOST_DESCRIBE_STRUCT(Total, (), (key, minute, total))

struct MaybeTotal {
  std::string key;
  std::optional<std::int64_t> minute;
  std::int64_t total = 0;
};
BOOST_DESCRIBE_STRUCT(MaybeTotal, (), (key, minute, total))

std::int64_t count_rows(sw::PostgresClient& c, const std::string& from) {
  return std::stoll(std::string(c.exec("SELECT count(*) FROM " + from).value(0, 0)));
}

template <class T>
std::vector<T> read_all(const std::string& uri, unsigned parallelism, std::size_t batch_size) {
  sw::Graph g{"pg_read"};
  std::vector<T> rows;
  g.source("in", sw::read_postgresql<T>(uri),
           {.parallelism = parallelism, .batch_size = batch_size})
      .sink("rows", sw::collect(rows));
  (void)sw::run(g, {.threads = 2});
  return rows;
}

}  // namespace

TEST_CASE("A postgresql URI is checked when the graph is built, naming what is wrong") {
  CHECK_THROWS_WITH(sw::write_postgresql("redis://h/t"), Catch::Contains("not a postgresql://"));
  CHECK_THROWS_WITH(sw::write_postgresql("postgresql://h:5432?table=t"),
                    Catch::Contains("no database"));
  CHECK_THROWS_WITH(sw::write_postgresql("postgresql://h/db"), Catch::Contains("no table"));
  CHECK_THROWS_WITH(sw::write_postgresql("postgresql://h/db?table=t&tabel=u"),
                    Catch::Contains("no parameter 'tabel'") && Catch::Contains("key"));
  CHECK_THROWS_WITH(sw::write_postgresql("postgresql://h/db?table=t&create=2"),
                    Catch::Contains("create=2"));
  CHECK_THROWS_WITH(sw::read_postgresql<Total>("postgresql://h/db?table=t&query=SELECT%201"),
                    Catch::Contains("not both"));
  CHECK_THROWS_WITH(sw::read_postgresql<Total>("postgresql://h/db?table=t&key=a"),
                    Catch::Contains("no parameter 'key'"));
  // libpq's own parameters pass through; the address stays in the address.
  CHECK_NOTHROW(sw::write_postgresql("postgres://u:p@h:6000/db?table=s.t&sslmode=disable"));
  CHECK_THROWS_WITH(sw::write_postgresql("postgresql://h/db?table=t&host=x"),
                    Catch::Contains("no parameter 'host'"));
}

TEST_CASE("Rows of every column type written by COPY and read back split by key range") {
  sw::test::Watchdog watchdog("postgresql round trip", std::chrono::seconds(120));
  sw::test::PostgresServer server;
  std::mt19937 rng(std::random_device{}());
  const unsigned writers = 1 + rng() % 3, readers = 1 + rng() % 4;
  const std::size_t batch = 1 + rng() % 3000;
  INFO("writers " << writers << ", readers " << readers << ", batch " << batch);
  constexpr std::uint64_t kRows = 20'000;
  sw::Graph g{"pg_write"};
  g.source("readings", sw::generate<Reading>(kRows, reading))
      .sink("out", sw::write_postgresql(server.uri() + "?table=readings"),
            {.parallelism = writers, .batch_size = batch});
  const sw::RunReport r = sw::run(g, {.threads = 2});
  CHECK(r.node("out").items_in == kRows);
  sw::PostgresClient c = server.client();
  CHECK(count_rows(c, "readings") == static_cast<std::int64_t>(kRows));
  // The table was created from the row type.
  CHECK(c.exec("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
               "'readings'::regclass AND attname = 'count'")
            .value(0, 0) == "bigint");
  CHECK(c.exec("SELECT name FROM readings WHERE id = 3").value(0, 0) ==
        "sensor \"3\" é, tab\there");

  std::vector<Reading> back =
      read_all<Reading>(server.uri() + "?table=readings&split=id", readers, 1 + rng() % 3000);
  std::sort(back.begin(), back.end(),
            [](const Reading& a, const Reading& b) { return a.id < b.id; });
  REQUIRE(back.size() == kRows);
  for (std::uint64_t i = 0; i < kRows; ++i) {
    if (back[i] == reading(i)) continue;
    FAIL("row " << i << " came back different");
  }
}

TEST_CASE("A query's rows split across instances, NULL keys and all, each once") {
  sw::test::Watchdog watchdog("postgresql query", std::chrono::seconds(120));
  sw::test::PostgresServer server;
  sw::PostgresClient c = server.client();
  c.exec(
      "CREATE TABLE t AS SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE g * 3 END AS id,"
      " g::int AS v, 'k' || (g % 13) AS key FROM generate_series(1, 10000) g");
  std::mt19937 rng(std::random_device{}());
  const unsigned readers = 1 + rng() % 4;
  INFO("readers " << readers);
  // id bigint, v integer read as int64 (the source casts), key as text.
  const std::vector<MaybeTotal> rows = read_all<MaybeTotal>(
      server.uri() +
          "?query=SELECT%20key%2C%20id%20AS%20minute%2C%20v%20AS%20total%20FROM%20t&split=minute",
      readers, 1 + rng() % 500);
  std::int64_t sum = 0, nulls = 0;
  for (const MaybeTotal& t : rows) {
    sum += t.total;
    nulls += t.minute ? 0 : 1;
  }
  CHECK(rows.size() == 10'000);
  CHECK(sum == 10'000LL * 10'001 / 2);
  CHECK(nulls == 1'000);
  // A NULL into a member that is not optional fails the node, naming the column and the row.
  sw::Graph g{"pg_null"};
  std::vector<Total> seen;
  g.source("in", sw::read_postgresql<Total>(
                     server.uri() + "?query=SELECT%20key%2C%20id%20AS%20minute%2C%20v%20AS%20"
                                    "total%20FROM%20t%20ORDER%20BY%20v"))
      .sink("seen", sw::collect(seen));
  CHECK_THROWS_WITH(
      sw::run(g, {.threads = 2}),
      Catch::Contains("node 'in' (instance 0) failed on item 9") &&
          Catch::Contains("query, row 10:") &&
          Catch::Contains("column minute: NULL in a member that is not std::optional"));
  // A table without a split column: one instance reads it all.
  const std::vector<Total> all = read_all<Total>(
      server.uri() + "?query=SELECT%20key%2C%20v%20AS%20minute%2C%20v%20AS%20total%20FROM%20t",
      readers, 100);
  CHECK(all.size() == 10'000);
}

TEST_CASE("A slow stream's rows are in postgresql while the job runs, not only at its end") {
  sw::test::Watchdog watchdog("postgresql idle flush", std::chrono::seconds(120));
  sw::test::PostgresServer server;
  sw::Graph g{"pg_slow"};
  g.source("readings", sw::generate<Reading>(3'000, reading), {.parallelism = 1})
      .sink("out", sw::write_postgresql(server.uri() + "?table=readings"), {.parallelism = 1});
  // 2000 rows a second for 1.5 s: far from the 4 MiB that fill a COPY, so rows reach the
  // table because the sink's input runs dry between batches (on_idle).
  std::atomic<bool> running{true};
  std::atomic<std::int64_t> first_seen{0};  // the first count above 0
  std::thread watcher([&] {
    sw::PostgresClient c = server.client();
    while (running.load()) {
      try {
        const std::int64_t n = count_rows(c, "readings");
        if (n > 0 && first_seen.load() == 0) first_seen = n;
      } catch (const sw::PostgresError&) {  // not created yet
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::string failure;
  try {
    (void)sw::run(g, {.threads = 2, .source_rate = 2'000});
  } catch (const std::exception& e) {
    failure = e.what();
  }
  running = false;
  watcher.join();
  REQUIRE(failure.empty());
  // Rows were there before all of them were: written as the input ran dry, not at the end.
  CHECK(first_seen.load() > 0);
  CHECK(first_seen.load() < 3'000);
  sw::PostgresClient c = server.client();
  CHECK(count_rows(c, "readings") == 3'000);
}

TEST_CASE("A postgresql sink with key= upserts, the last row of a key winning") {
  sw::test::Watchdog watchdog("postgresql upsert", std::chrono::seconds(120));
  sw::test::PostgresServer server;
  const std::string uri = server.uri() + "?table=totals&key=key,minute";
  for (int round = 0; round < 2; ++round) {
    sw::Graph g{"pg_upsert"};
    g.source("totals",
             sw::generate<Total>(5'000,
                                 [](std::uint64_t i) {
                                   return Total{"k" + std::to_string(i % 10),
                                                static_cast<std::int64_t>(i % 7),
                                                static_cast<std::int64_t>(i)};
                                 }),
             {.parallelism = 1})  // in order: the last row of a key wins
        .sink("out", sw::write_postgresql(uri), {.parallelism = 1, .batch_size = 64 + 100 * round});
    (void)sw::run(g, {.threads = 2});
  }
  sw::PostgresClient c = server.client();
  CHECK(count_rows(c, "totals") == 70);  // 10 keys x 7 minutes (lcm 70), upserted twice
  // Each (key, minute) holds the last i with i % 10 = key and i % 7 = minute.
  CHECK(c.exec("SELECT total FROM totals WHERE key = 'k3' AND minute = 2").value(0, 0) == "4993");
  CHECK(c.exec("SELECT count(*) FROM totals WHERE total < 4930").value(0, 0) == "0");
}

TEST_CASE("Into postgresql through a crash and a restart on another parallelism, exactly once") {
  sw::test::Watchdog watchdog("postgresql exactly once", std::chrono::seconds(180));
  std::mt19937 rng(std::random_device{}());
  sw::test::PostgresServer server;
  sw::test::TempDir dir;
  const unsigned before = 1 + rng() % 3, after = 1 + rng() % 3;
  INFO("parallelism " << before << ", restored into " << after);
  constexpr std::uint64_t kRows = 30'000;
  const auto run_once = [&](unsigned parallelism, const sw::RunOptions& o) {
    sw::Graph g{"pg_exactly_once"};
    g.source("readings", sw::generate<Reading>(kRows, reading))
        .sink("out", sw::write_postgresql(server.uri() + "?table=readings"),
              {.parallelism = parallelism});
    return sw::run(g, o);
  };
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
  const sw::RunReport first = run_once(before, o);
  REQUIRE(first.status == sw::RunReport::Status::cancelled);
  sw::PostgresClient c = server.client();
  CHECK(count_rows(c, "readings") < static_cast<std::int64_t>(kRows));  // cut short

  sw::RunOptions again;
  again.threads = 2;
  again.batch_size = 64 + rng() % 500;
  again.checkpoints.directory = dir.file("checkpoints");
  again.checkpoints.interval = std::chrono::milliseconds(20);
  const sw::RunReport second = run_once(after, again);
  CHECK(second.checkpoints.restored_from != 0);
  CHECK(count_rows(c, "readings") == static_cast<std::int64_t>(kRows));  // none twice
  CHECK(count_rows(c, "(SELECT DISTINCT id FROM readings) d") ==
        static_cast<std::int64_t>(kRows));  // none lost
  CHECK(c.exec("SELECT sum(id) FROM readings").value(0, 0) ==
        std::to_string(kRows * (kRows - 1) / 2));
}

TEST_CASE(
    "A postgresql source through a crash and a restart on another parallelism, exactly once") {
  sw::test::Watchdog watchdog("postgresql source exactly once", std::chrono::seconds(180));
  std::mt19937 rng(std::random_device{}());
  sw::test::PostgresServer server;
  sw::PostgresClient c = server.client();
  constexpr std::int64_t kRows = 30'000;
  c.exec(
      "CREATE TABLE t AS SELECT 'k' || (g % 5) AS key, g::int8 AS minute, g::int8 AS total"
      " FROM generate_series(1, " +
      std::to_string(kRows) + ") g");
  sw::test::TempDir dir;
  const unsigned before = 1 + rng() % 3, after = 1 + rng() % 3;
  INFO("parallelism " << before << ", restored into " << after);
  const auto run_once = [&](unsigned parallelism, const sw::RunOptions& o, std::int64_t& sum) {
    sw::Graph g{"pg_source_exactly_once"};
    std::vector<sw::KeyValue<int, std::int64_t>> sums;
    g.source("in", sw::read_postgresql<Total>(server.uri() + "?table=t&split=minute"),
             {.parallelism = parallelism})
        .map("total", [](const Total& t) { return t.total; })
        .key_by([](std::int64_t) { return 0; })
        .reduce("sum", [](std::int64_t a, std::int64_t b) { return a + b; },
                {.emit = sw::Emit::at_end, .node = {.parallelism = 1}})
        .sink("sums", sw::collect(sums));
    const sw::RunReport r = sw::run(g, o);
    sum = sums.empty() ? 0 : sums.front().value;
    return r;
  };
  sw::RunOptions o;
  o.threads = 2;
  o.batch_size = 64 + rng() % 500;
  o.checkpoints.directory = dir.file("checkpoints");
  o.checkpoints.interval = std::chrono::milliseconds(20);
  o.source_rate = 60'000;
  sw::CancelToken stop;
  o.cancel = stop;
  o.progress_interval = std::chrono::milliseconds(10);
  const std::filesystem::path checkpoints = dir.file("checkpoints");
  o.on_progress = [=](const sw::RunProgress& p) {
    if (p.elapsed_seconds >= 0.15 && sw::test::complete_checkpoints(checkpoints) >= 2)
      stop.cancel();
  };
  std::int64_t sum = 0;
  const sw::RunReport first = run_once(before, o, sum);
  REQUIRE(first.status == sw::RunReport::Status::cancelled);
  REQUIRE(first.node("in").items_out < static_cast<std::uint64_t>(kRows));
  sw::RunOptions again;
  again.threads = 2;
  again.batch_size = 64 + rng() % 500;
  again.checkpoints.directory = dir.file("checkpoints");
  again.checkpoints.interval = std::chrono::milliseconds(20);
  const sw::RunReport second = run_once(after, again, sum);
  CHECK(second.checkpoints.restored_from != 0);
  CHECK(sum == kRows * (kRows + 1) / 2);  // each row once into the state
}

TEST_CASE("A new checkpointed run into the same table is not taken for a replay") {
  sw::test::Watchdog watchdog("postgresql second run", std::chrono::seconds(120));
  sw::test::PostgresServer server;
  for (int round = 0; round < 2; ++round) {
    sw::test::TempDir dir;  // each run afresh: no checkpoint to restore
    sw::Graph g{"pg_again"};
    g.source("readings", sw::generate<Reading>(1'000, reading))
        .sink("out", sw::write_postgresql(server.uri() + "?table=readings"));
    sw::RunOptions o;
    o.threads = 2;
    o.checkpoints.directory = dir.file("checkpoints");
    (void)sw::run(g, o);
  }
  sw::PostgresClient c = server.client();
  CHECK(count_rows(c, "readings") == 2'000);  // the same node, epochs 1, 2, ... both times
}

TEST_CASE("A postgresql server that is down at start fails the node, naming the URI") {
  sw::test::Watchdog watchdog("postgresql down", std::chrono::seconds(60));
  const std::string uri =
      "postgresql://127.0.0.1:" + std::to_string(sw::test::free_loopback_port()) + "/db";
  sw::Graph g{"pg_down"};
  std::vector<Total> seen;
  g.source("in", sw::read_postgresql<Total>(uri + "?table=t")).sink("seen", sw::collect(seen));
  CHECK_THROWS_WITH(sw::run(g, {.threads = 2}), Catch::Contains("node 'in'") &&
                                                    Catch::Contains("cannot connect to " + uri) &&
                                                    Catch::Contains("refused"));
  sw::Graph w{"pg_down_sink"};
  w.source("n", sw::generate<Total>(10, [](std::uint64_t) { return Total{}; }))
      .sink("out", sw::write_postgresql(uri + "?table=t"));
  CHECK_THROWS_WITH(sw::run(w, {.threads = 2}),
                    Catch::Contains("node 'out'") && Catch::Contains("cannot connect to " + uri));
}

TEST_CASE("A wrong postgresql password fails with the server's answer, never the password") {
  sw::test::Watchdog watchdog("postgresql auth", std::chrono::seconds(60));
  sw::test::PostgresServer server;
  const std::string address = "127.0.0.1:" + std::to_string(server.port()) + "/streamweave";
  sw::Graph g{"pg_auth"};
  g.source("n", sw::generate<Total>(10, [](std::uint64_t) { return Total{}; }))
      .sink("out", sw::write_postgresql("postgresql://streamweave:wr0ng@" + address + "?table=t"));
  CHECK_THROWS_WITH(sw::run(g, {.threads = 2}),
                    Catch::Contains("cannot connect to postgresql://" + address) &&
                        Catch::Contains("password authentication failed") &&
                        !Catch::Contains("wr0ng"));
}

TEST_CASE("A postgresql server lost mid-run is retried: back in time, every row once") {
  sw::test::Watchdog watchdog("postgresql lost", std::chrono::seconds(120));
  sw::test::PostgresServer server;
  sw::test::TempDir dir;
  std::atomic<std::uint64_t> passed{0};
  sw::Graph g{"pg_lost"};
  g.source("readings", sw::generate<Reading>(20'000, reading))
      .map("count",
           [&](const Reading& r) {
             ++passed;
             return r;
           })
      .sink("out", sw::write_postgresql(server.uri() + "?table=readings"), {.parallelism = 2});
  std::atomic<bool> done{false};
  std::thread restarter([&] {
    while (passed.load() < 5'000) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    server.start();
    // The server dies with the thread that started it (PR_SET_PDEATHSIG): it waits.
    // The checks read it.
    while (!done.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  sw::RunOptions o;
  o.threads = 2;
  o.source_rate = 40'000;
  o.checkpoints.directory = dir.file("checkpoints");
  o.checkpoints.interval = std::chrono::milliseconds(20);
  std::string failure;
  sw::RunReport r;
  try {
    r = sw::run(g, o);
    CHECK(r.status == sw::RunReport::Status::completed);
    sw::PostgresClient c = server.client();
    CHECK(count_rows(c, "readings") == 20'000);
    CHECK(count_rows(c, "(SELECT DISTINCT id FROM readings) d") == 20'000);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  done = true;
  restarter.join();
  CHECK(failure == "");  // prints the failure
}

TEST_CASE("A postgresql server gone for longer than retry_for fails the node with the cause") {
  sw::test::Watchdog watchdog("postgresql gone", std::chrono::seconds(120));
  sw::test::PostgresServer server;
  std::atomic<std::uint64_t> passed{0};
  sw::Graph g{"pg_gone"};
  g.source("readings", sw::generate<Reading>(1'000'000, reading))
      .map("count",
           [&](const Reading& r) {
             ++passed;
             return r;
           })
      // Two instances: each connected when the run started, so each retries.
      .sink("out",
            sw::write_postgresql(server.uri() + "?table=readings",
                                 {.retry_for = std::chrono::milliseconds(600)}),
            {.parallelism = 2});
  std::thread killer([&] {
    while (passed.load() < 5'000) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server.stop();
  });
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(
      sw::run(g, {.threads = 2, .source_rate = 100'000}),
      Catch::Contains("node 'out'") && Catch::Contains("gave up after retrying for 600 ms"));
  killer.join();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
}

TEST_CASE("A row postgresql would refuse goes to the node's error policy, naming the column") {
  sw::test::Watchdog watchdog("postgresql bad row", std::chrono::seconds(60));
  sw::test::PostgresServer server;
  // Without checkpoints the batches before a failure are written: one table per run.
  const auto graph = [&](sw::Graph& g, sw::ErrorPolicy policy, const std::string& table) {
    g.source("totals", sw::generate<Total>(100,
                                           [](std::uint64_t i) {
                                             return Total{i == 42 ? std::string("bad \xff") : "ok",
                                                          static_cast<std::int64_t>(i), 1};
                                           }))
        .sink("out", sw::write_postgresql(server.uri() + "?table=" + table), {.errors = policy});
  };
  sw::Graph stop{"pg_bad"};
  graph(stop, sw::ErrorPolicy::stop(), "stopped");
  CHECK_THROWS_WITH(sw::run(stop, {.threads = 2}), Catch::Contains("node 'out'") &&
                                                       Catch::Contains("column key") &&
                                                       Catch::Contains("UTF-8"));
  sw::Graph skip{"pg_bad"};
  graph(skip, sw::ErrorPolicy::skip(10), "totals");
  const sw::RunReport r = sw::run(skip, {.threads = 2});
  CHECK(r.node("out").errors_skipped == 1);
  sw::PostgresClient c = server.client();
  CHECK(count_rows(c, "totals") == 99);
  CHECK(c.exec("SELECT count(*) FROM totals WHERE minute = 42").value(0, 0) == "0");
}

TEST_CASE("A postgresql table of other types is refused before a row is written, naming it") {
  sw::test::Watchdog watchdog("postgresql types", std::chrono::seconds(60));
  sw::test::PostgresServer server;
  sw::PostgresClient c = server.client();
  c.exec("CREATE TABLE totals (key text, minute integer, total bigint)");
  sw::Graph g{"pg_types"};
  g.source("totals", sw::generate<Total>(10, [](std::uint64_t) { return Total{}; }))
      .sink("out", sw::write_postgresql(server.uri() + "?table=totals"));
  CHECK_THROWS_WITH(sw::run(g, {.threads = 2}),
                    Catch::Contains("column minute is integer, the row type's member is bigint"));
  sw::Graph missing{"pg_types"};
  missing.source("totals", sw::generate<Total>(10, [](std::uint64_t) { return Total{}; }))
      .sink("out", sw::write_postgresql(server.uri() + "?table=nowhere&create=0"));
  CHECK_THROWS_WITH(sw::run(missing, {.threads = 2}),
                    Catch::Contains("table nowhere does not exist"));
  sw::Graph no_key{"pg_types"};
  no_key.source("totals", sw::generate<Total>(10, [](std::uint64_t) { return Total{}; }))
      .sink("out", sw::write_postgresql(server.uri() + "?table=t2&key=key&create=0"));
  c.exec("CREATE TABLE t2 (key text, minute bigint, total bigint)");
  CHECK_THROWS_WITH(sw::run(no_key, {.threads = 2}),
                    Catch::Contains("no primary key or unique index on (key)"));
}
