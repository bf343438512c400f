// Checkpoints in process: a run stopped midway and restarted from its latest checkpoint
// gives exactly the output of a run never stopped — with the same or another parallelism,
// and when the latest checkpoint is damaged (it falls back to the one before).
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <sched.h>
#include <sys/mount.h>

#include "support/checkpoint_files.hpp"
#include "support/key_sums.hpp"
#include "support/temp_dir.hpp"
#include "support/watchdog.hpp"

namespace {

constexpr std::uint64_t kEvents = 200'000;
constexpr std::uint64_t kKeys = 97;

using Sums = sw::test::KeySums;

// numbers -> key_by(x % 97) -> sum per key, emitted at end -> out: by a reduce, or by a
// combine (whose local half keeps a partial sum of every key in every instance).
Sums run_sums(const sw::RunOptions& options, unsigned parallelism, sw::RunReport* report = nullptr,
              bool combine = false) {
  sw::Graph g{"sums"};
  std::vector<sw::KeyValue<std::uint64_t, std::uint64_t>> out;
  auto keyed =
      g.source("numbers", sw::generate<std::uint64_t>(kEvents, [](std::uint64_t i) { return i; }),
               {.parallelism = parallelism})
          .key_by([](std::uint64_t x) { return x % kKeys; });
  auto add = [](std::uint64_t acc, std::uint64_t x) { return acc + x; };
  if (combine) {
    keyed.combine("sum", std::uint64_t{0}, add, add, {.parallelism = parallelism})
        .sink("out", sw::collect(out));
  } else {
    keyed.reduce("sum", add, {.emit = sw::Emit::at_end, .node = {.parallelism = parallelism}})
        .sink("out", sw::collect(out));
  }
  const sw::RunReport r = sw::run(g, options);
  if (report != nullptr) *report = r;
  return sw::test::sums_of(out);
}

Sums expected_sums() {
  return sw::test::sums_by_modulo(kEvents, kKeys);
}

sw::RunOptions checkpointed(const sw::test::TempDir& dir) {
  sw::RunOptions o;
  o.threads = 2;
  o.batch_size = 64;
  o.checkpoints.directory = dir.file("checkpoints");
  o.checkpoints.interval = std::chrono::milliseconds(10);
  return o;
}

// Runs the graph paced and stops it once `want` checkpoints are complete, and not before `ms`
// (a slow build — ThreadSanitizer — takes longer to get there): the output is lost.
sw::RunReport interrupted_run(const sw::test::TempDir& dir, unsigned parallelism, int ms,
                              bool combine = false, std::size_t want = 1) {
  sw::RunOptions o = checkpointed(dir);
  o.source_rate = 100'000;
  sw::CancelToken stop;
  o.cancel = stop;
  o.progress_interval = std::chrono::milliseconds(10);
  const std::filesystem::path checkpoints = dir.file("checkpoints");
  o.on_progress = [=](const sw::RunProgress& p) {
    if (p.elapsed_seconds * 1e3 >= ms && sw::test::complete_checkpoints(checkpoints) >= want)
      stop.cancel();
  };
  sw::RunReport r;
  (void)run_sums(o, parallelism, &r, combine);
  CHECK(r.status == sw::RunReport::Status::cancelled);
  return r;
}

}  // namespace

TEST_CASE("a run restarted from its latest checkpoint gives the uninterrupted output") {
  sw::test::Watchdog watchdog("checkpoint restart", std::chrono::seconds(60));
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 3; ++round) {
    sw::test::TempDir dir;
    const unsigned before = 1 + rng() % 3;
    const unsigned after = round == 0 ? before : 1 + rng() % 3;
    INFO("parallelism " << before << ", restored into " << after);
    const sw::RunReport first = interrupted_run(dir, before, 150 + static_cast<int>(rng() % 100));
    REQUIRE(first.checkpoints.completed >= 1);
    CHECK(first.checkpoints.failed == 0);
    CHECK(first.checkpoints.restored_from == 0);

    sw::RunOptions o = checkpointed(dir);
    o.batch_size = 16 + rng() % 1000;
    sw::RunReport second;
    CHECK(run_sums(o, after, &second) == expected_sums());
    CHECK(second.checkpoints.restored_from == first.checkpoints.last_id);
    CHECK(second.events < kEvents);            // the restored sources went on from their positions
    CHECK(second.checkpoints.completed >= 1);  // the final one at least
  }
}

TEST_CASE("a combine restored with another parallelism merges the partials of each key") {
  sw::test::Watchdog watchdog("combine restart", std::chrono::seconds(60));
  for (const auto& [before, after] : {std::pair{3u, 1u}, std::pair{2u, 3u}, std::pair{3u, 2u}}) {
    INFO("parallelism " << before << ", restored into " << after);
    sw::test::TempDir dir;
    const sw::RunReport first = interrupted_run(dir, before, 200, true);
    REQUIRE(first.checkpoints.completed >= 1);
    sw::RunReport second;
    CHECK(run_sums(checkpointed(dir), after, &second, true) == expected_sums());
    CHECK(second.checkpoints.restored_from == first.checkpoints.last_id);
  }
}

TEST_CASE("a damaged latest checkpoint is skipped for the one before, named in the report") {
  sw::test::Watchdog watchdog("checkpoint fallback", std::chrono::seconds(60));
  sw::test::TempDir dir;
  const sw::RunReport first = interrupted_run(dir, 2, 250, false, 2);
  REQUIRE(first.checkpoints.completed >= 2);
  // Flip a byte in the middle of one state file of the newest complete checkpoint (a newer
  // one may have been in flight when the run stopped: it has no manifest).
  std::filesystem::path newest;
  for (const auto& e : std::filesystem::directory_iterator(dir.file("checkpoints"))) {
    if (e.path() > newest && std::filesystem::exists(e.path() / "_manifest")) newest = e.path();
  }
  std::filesystem::path victim;
  for (const auto& e : std::filesystem::directory_iterator(newest)) {
    if (e.path().extension() == ".state") victim = e.path();
  }
  REQUIRE(!victim.empty());
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(30);
    f.put('\x7f');
  }
  sw::RunReport second;
  CHECK(run_sums(checkpointed(dir), 2, &second) == expected_sums());
  REQUIRE(second.checkpoints.skipped.size() == 1);
  CHECK_THAT(second.checkpoints.skipped[0], Catch::Contains(victim.string()));
  CHECK_THAT(second.checkpoints.skipped[0], Catch::Contains("checksum mismatch"));
  CHECK(second.checkpoints.restored_from != 0);
  CHECK(second.checkpoints.restored_from < first.checkpoints.last_id);
}

TEST_CASE("checkpoints are kept up to the retained number, and a fresh run ignores them") {
  sw::test::Watchdog watchdog("checkpoint retention", std::chrono::seconds(60));
  sw::test::TempDir dir;
  // At most 3 stay on disk, so wait for 3 and some more time: many more complete meanwhile.
  const sw::RunReport first = interrupted_run(dir, 1, 300, false, 3);
  REQUIRE(first.checkpoints.completed >= 3);
  std::size_t kept = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.file("checkpoints"))) {
    kept += std::filesystem::exists(e.path() / "_manifest") ? 1 : 0;
  }
  CHECK(kept == 3);
  INFO(first.checkpoints.completed << " completed");
  sw::RunOptions o = checkpointed(dir);
  o.checkpoints.fresh = true;
  sw::RunReport second;
  CHECK(run_sums(o, 1, &second) == expected_sums());
  CHECK(second.checkpoints.restored_from == 0);
  CHECK(second.events == kEvents);
}

TEST_CASE("state that cannot be saved is refused before the run, by node") {
  struct Opaque {
    int x = 0;
    Opaque() = default;
    explicit Opaque(int v) : x(v) {}
  };
  sw::test::TempDir dir;
  sw::Graph g{"opaque"};
  std::vector<sw::KeyValue<int, Opaque>> out;
  g.source("n", sw::generate<int>(10, [](std::uint64_t i) { return static_cast<int>(i); }))
      .key_by([](int x) { return x % 2; })
      .aggregate("keep", Opaque{}, [](Opaque acc, int x) { return Opaque(acc.x + x); })
      .sink("out", sw::collect(out));
  CHECK_THROWS_WITH(sw::run(g, checkpointed(dir)),
                    Catch::Contains("node 'keep' (aggregate) keeps state that checkpoints cannot "
                                    "save (its types have no binary codec"));
  CHECK_NOTHROW(sw::run(g, {.threads = 2}));
}

// numbers -> key_by -> running sum per key, every update -> "key sum" lines -> a file. One
// source instance: each key's items reach its sum in one order, so the lines are the same in
// every run (their order in the file is not).
void run_running_sums(const sw::RunOptions& options, const std::string& path, unsigned p,
                      sw::RunReport* report) {
  sw::Graph g{"running"};
  g.source("numbers", sw::generate<std::uint64_t>(kEvents / 4, [](std::uint64_t i) { return i; }),
           {.parallelism = 1})
      .key_by([](std::uint64_t x) { return x % kKeys; })
      .reduce("sum", [](std::uint64_t acc, std::uint64_t x) { return acc + x; },
              {.node = {.parallelism = p}})
      .map("line",
           [](const sw::KeyValue<std::uint64_t, std::uint64_t>& kv) {
             return std::to_string(kv.key) + " " + std::to_string(kv.value);
           })
      .sink("file", sw::write_lines(path));
  *report = sw::run(g, options);
}

TEST_CASE("a file sink restored from a checkpoint writes each line exactly once") {
  sw::test::Watchdog watchdog("exactly-once file", std::chrono::seconds(60));
  sw::test::TempDir dir;
  sw::RunReport r;
  run_running_sums({.threads = 2}, dir.file("expected.txt"), 2, &r);
  const std::multiset<std::string> expected = sw::test::lines_of(dir.file("expected.txt"));
  REQUIRE(expected.size() == kEvents / 4);

  sw::RunOptions o = checkpointed(dir);
  o.source_rate = 100'000;
  o.deadline = std::chrono::milliseconds(250);
  run_running_sums(o, dir.file("out.txt"), 2, &r);
  REQUIRE(r.status == sw::RunReport::Status::cancelled);
  REQUIRE(r.checkpoints.completed >= 1);
  // Nothing is committed before the end: the lines so far wait in the in-progress file.
  CHECK_FALSE(std::filesystem::exists(dir.file("out.txt")));
  CHECK(std::filesystem::exists(dir.file("out.txt.inprogress")));

  run_running_sums(checkpointed(dir), dir.file("out.txt"), 3, &r);
  CHECK(r.checkpoints.restored_from != 0);
  CHECK(sw::test::lines_of(dir.file("out.txt")) == expected);
  CHECK_FALSE(std::filesystem::exists(dir.file("out.txt.inprogress")));
  // Run again from the final checkpoint: the job had finished; nothing changes.
  run_running_sums(checkpointed(dir), dir.file("out.txt"), 1, &r);
  CHECK(r.events == 0);
  CHECK(sw::test::lines_of(dir.file("out.txt")) == expected);
}

TEST_CASE("an operator that does not take part in checkpoints is refused, by node") {
  // A producer's position is the user's object's: it cannot be snapshot.
  struct Ten {
    int left = 10;
    std::optional<int> next() { return left > 0 ? std::optional<int>(left--) : std::nullopt; }
  };
  sw::test::TempDir dir;
  sw::Graph g{"producer"};
  std::vector<std::string> out;
  g.source("ten", sw::producer(Ten{}), {.parallelism = 1})
      .map("text", [](int x) { return std::to_string(x); })
      .sink("out", sw::collect(out));
  CHECK_THROWS_WITH(sw::run(g, checkpointed(dir)),
                    Catch::Contains("node 'ten' (producer) keeps state that checkpoints "
                                    "cannot save (this operator does not take part in checkpoints "
                                    "yet)"));
}

TEST_CASE("an interval of 0 takes only the final checkpoint") {
  sw::test::Watchdog watchdog("final checkpoint only", std::chrono::seconds(60));
  sw::test::TempDir dir;
  sw::RunOptions o = checkpointed(dir);
  o.checkpoints.interval = std::chrono::milliseconds(0);
  o.source_rate = 1'000'000;  // a run of about 0.2 s: a 0 interval must not mean "always"
  sw::RunReport r;
  CHECK(run_sums(o, 2, &r) == expected_sums());
  CHECK(r.checkpoints.completed == 1);
  CHECK(r.checkpoints.last_id == 1);
}

TEST_CASE("a checkpoint to restore that does not load, or with fresh, is an error") {
  sw::test::TempDir dir;
  sw::RunOptions o = checkpointed(dir);
  o.checkpoints.restore_id = 5;
  CHECK_THROWS_WITH(run_sums(o, 1), Catch::Contains("chk-00000005/_manifest"));
  o.checkpoints.fresh = true;
  CHECK_THROWS_WITH(run_sums(o, 1), Catch::Contains("restore_id and fresh exclude each other"));
}

TEST_CASE("a run stopped with savepoint_on_stop takes a savepoint that a restart goes on from") {
  sw::test::Watchdog watchdog("savepoint on stop", std::chrono::seconds(60));
  sw::test::TempDir dir;
  sw::RunOptions o = checkpointed(dir);
  o.checkpoints.interval = std::chrono::milliseconds(0);  // no periodic ones: only the savepoint
  o.source_rate = 200'000;                                // about 1 s of input
  o.deadline = std::chrono::milliseconds(200);
  o.checkpoints.savepoint_on_stop = true;
  sw::RunReport first;
  (void)run_sums(o, 2, &first);
  CHECK(first.status == sw::RunReport::Status::cancelled);
  CHECK(first.checkpoints.completed == 1);
  CHECK(first.checkpoints.savepoint == 1);
  CHECK(first.checkpoints.failed == 0);
  CHECK_THAT(first.summary(), Catch::Contains("savepoint 1 at the stop"));

  sw::RunReport second;
  CHECK(run_sums(checkpointed(dir), 3, &second) == expected_sums());
  CHECK(second.checkpoints.restored_from == 1);
  CHECK(second.events + first.events >= kEvents);  // what came before the savepoint is not read
  CHECK(second.events < kEvents);

  // Without it, the stopped run leaves no checkpoint to go on from.
  sw::test::TempDir other;
  o = checkpointed(other);
  o.checkpoints.interval = std::chrono::milliseconds(0);
  o.source_rate = 200'000;
  o.deadline = std::chrono::milliseconds(200);
  (void)run_sums(o, 2, &first);
  CHECK(first.checkpoints.completed == 0);
  CHECK(first.checkpoints.savepoint == 0);
}

TEST_CASE("a stop while periodic checkpoints complete still ends at a savepoint") {
  // Checkpoints back to back: the stop often lands while one's manifest is being written, too
  // late to mark it a savepoint; the run must then take the next one, not stop without.
  sw::test::Watchdog watchdog("savepoint among checkpoints", std::chrono::seconds(120));
  std::mt19937 random(std::random_device{}());
  for (int attempt = 0; attempt < 30; ++attempt) {
    sw::test::TempDir dir;
    sw::RunOptions o = checkpointed(dir);
    o.checkpoints.interval = std::chrono::milliseconds(1);
    o.checkpoints.savepoint_on_stop = true;
    o.source_rate = 200'000;
    o.deadline = std::chrono::milliseconds(std::uniform_int_distribution<int>(30, 120)(random));
    sw::RunReport r;
    (void)run_sums(o, 2, &r);
    INFO("attempt " << attempt << ": " << r.summary());
    REQUIRE(r.checkpoints.savepoint != 0);
    CHECK(r.checkpoints.savepoint == r.checkpoints.last_id);
    CHECK(sw::test::read_manifest(dir.file("checkpoints"), r.checkpoints.savepoint).savepoint);
  }
}

TEST_CASE("a checkpoint that does not complete in time fails, and the run goes on") {
  sw::test::Watchdog watchdog("checkpoint timeout", std::chrono::seconds(60));
  sw::test::TempDir dir;
  sw::RunOptions o = checkpointed(dir);
  o.checkpoints.timeout = std::chrono::milliseconds(50);
  o.checkpoints.tolerable_failures = 1000;
  sw::Graph g{"slow"};
  std::vector<std::uint64_t> out;
  // One item holds its task for 400 ms: the barrier behind it waits, the checkpoint times out.
  g.source("numbers", sw::generate<std::uint64_t>(20'000, [](std::uint64_t i) { return i; }))
      .map("slow",
           [](std::uint64_t x) {
             if (x == 5'000) std::this_thread::sleep_for(std::chrono::milliseconds(400));
             return x;
           })
      .sink("out", sw::collect(out));
  o.source_rate = 100'000;
  const sw::RunReport r = sw::run(g, o);
  CHECK(r.status == sw::RunReport::Status::completed);
  CHECK(out.size() == 20'000);
  CHECK(r.checkpoints.failed >= 1);
  REQUIRE_FALSE(r.checkpoints.errors.empty());
  CHECK_THAT(r.checkpoints.errors[0],
             Catch::Contains("not complete after 50 ms (CheckpointOptions::timeout)"));
  CHECK(r.checkpoints.completed >= 1);  // the final one at least
}

TEST_CASE("checkpoints on a full disk fail cleanly, the run goes on, and later ones complete") {
  sw::test::Watchdog watchdog("disk full", std::chrono::seconds(60));
  sw::test::TempDir dir;
  const std::filesystem::path checkpoints = dir.file("checkpoints");
  std::filesystem::create_directory(checkpoints);
  // A small tmpfs for the checkpoints, in a mount namespace of this test process's own.
  if (::unshare(CLONE_NEWNS) != 0 ||
      ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
      ::mount("tmpfs", checkpoints.c_str(), "tmpfs", 0, "size=512k") != 0) {
    WARN("skipped: mounting a tmpfs needs root (CAP_SYS_ADMIN): " << std::strerror(errno));
    return;
  }
  struct Unmount {
    std::filesystem::path at;
    ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } unmount{checkpoints};

  sw::RunOptions o = checkpointed(dir);
  o.checkpoints.tolerable_failures = 1000;
  o.source_rate = 400'000;  // about 0.5 s
  o.progress_interval = std::chrono::milliseconds(5);
  // Once a checkpoint completed, fill the disk; 150 ms later, make room again.
  const std::filesystem::path filler = checkpoints / "filler";
  int phase = 0;
  std::chrono::steady_clock::time_point filled;
  o.on_progress = [&](const sw::RunProgress&) {
    if (phase == 0 && sw::test::complete_checkpoints(checkpoints) >= 1) {
      std::ofstream out(filler, std::ios::binary);
      const std::string block(4096, 'x');
      while (out.write(block.data(), block.size())) {
      }
      filled = std::chrono::steady_clock::now();
      phase = 1;
    } else if (phase == 1 &&
               std::chrono::steady_clock::now() - filled > std::chrono::milliseconds(150)) {
      std::filesystem::remove(filler);
      phase = 2;
    }
  };
  sw::RunReport r;
  CHECK(run_sums(o, 2, &r) == expected_sums());
  CHECK(phase == 2);
  CHECK(r.status == sw::RunReport::Status::completed);
  CHECK(r.checkpoints.failed >= 1);
  REQUIRE_FALSE(r.checkpoints.errors.empty());
  CHECK_THAT(r.checkpoints.errors[0], Catch::Contains("No space left on device"));
  CHECK(r.checkpoints.completed >= 2);  // one before the disk filled, the final one after
  // What completed is intact: a run from the final checkpoint has nothing left to do.
  sw::RunReport again;
  o = checkpointed(dir);
  (void)run_sums(o, 1, &again);
  CHECK(again.checkpoints.restored_from == r.checkpoints.last_id);
  CHECK(again.events == 0);
}
