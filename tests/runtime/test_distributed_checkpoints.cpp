// Checkpoints in distributed mode (CTest runs these under mpirun -np 2 and -np 3): every rank
// writes its instances' state into one directory, rank 0 completes each checkpoint once every
// rank acknowledged it, and a run stopped midway goes on from it to the uninterrupted output.
// Rank counts that differ between the run and its restart: scripts/crash_restart.sh --ranks.
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include <unistd.h>

#include "support/checkpoint_files.hpp"
#include "support/key_sums.hpp"
#include "support/watchdog.hpp"

namespace {

constexpr std::uint64_t kEvents = 200'000;
constexpr std::uint64_t kKeys = 97;

bool is_root() {
  return sw::cluster().rank == 0;
}

// A directory every rank of this mpirun job names alike (the job id Open MPI gives every
// rank), removed by rank 0 at the end; test cases run in the same order on every rank. In
// memory (/dev/shm) when there is one: these tests time their stops, and an fsync on a disk
// that the build just filled took up to seconds (ext4 writes back every dirty file first).
class SharedDir {
 public:
  SharedDir() {
    static int counter = 0;
    const char* job = std::getenv("OMPI_MCA_ess_base_jobid");
    std::error_code error;
    const std::filesystem::path shm = "/dev/shm";
    const bool in_memory = std::filesystem::is_directory(shm, error);
    path_ = (in_memory ? shm : std::filesystem::temp_directory_path()) /
            ("streamweave-job-" + (job != nullptr ? std::string(job) : std::to_string(::getpid())) +
             "-" + std::to_string(counter++));
  }
  SharedDir(const SharedDir&) = delete;
  SharedDir& operator=(const SharedDir&) = delete;
  ~SharedDir() {
    std::error_code ignored;
    if (is_root()) std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

// numbers -> key_by(x % 97) -> sum per key at end -> out (on rank 0).
sw::test::KeySums run_sums(const sw::RunOptions& options, sw::RunReport& report) {
  sw::Graph g{"sums"};
  std::vector<sw::KeyValue<std::uint64_t, std::uint64_t>> out;
  g.source("numbers", sw::generate<std::uint64_t>(kEvents, [](std::uint64_t i) { return i; }),
           {.parallelism = 3})
      .key_by([](std::uint64_t x) { return x % kKeys; })
      .reduce("sum", [](std::uint64_t acc, std::uint64_t x) { return acc + x; },
              {.emit = sw::Emit::at_end, .node = {.parallelism = 3}})
      .sink("out", sw::collect(out), {.parallelism = 1});
  report = sw::run(g, options);
  return sw::test::sums_of(out);
}

sw::RunOptions checkpointed(const SharedDir& dir) {
  sw::RunOptions o{.mode = sw::Mode::distributed, .threads = 1, .batch_size = 64};
  o.checkpoints.directory = dir.path() / "checkpoints";
  o.checkpoints.interval = std::chrono::milliseconds(10);
  return o;
}

sw::CheckpointManifest manifest_of(const SharedDir& dir, std::uint64_t id) {
  return sw::test::read_manifest(dir.path() / "checkpoints", id);
}

}  // namespace

TEST_CASE("distributed: a run stopped midway goes on from its latest checkpoint", "[distributed]") {
  sw::test::Watchdog watchdog("distributed checkpoint restart", std::chrono::seconds(120));
  const unsigned ranks = sw::cluster().ranks;
  SharedDir dir;
  // Paced, and stopped once two checkpoints are complete: rank 0's cancellation stops every
  // rank.
  sw::RunOptions o = checkpointed(dir);
  o.source_rate = 30'000;  // per source instance: about 2 s of input
  sw::CancelToken stop;
  o.cancel = stop;
  o.progress_interval = std::chrono::milliseconds(10);
  const std::filesystem::path checkpoints = o.checkpoints.directory;
  o.on_progress = [&](const sw::RunProgress&) {
    if (is_root() && sw::test::complete_checkpoints(checkpoints) >= 2) stop.cancel();
  };
  sw::RunReport first;
  (void)run_sums(o, first);
  CHECK(first.status == sw::RunReport::Status::cancelled);
  CHECK(first.checkpoints.failed == 0);
  // Rank 0 completed them; the others may not have heard of the last one before the stop.
  const std::uint64_t latest = sw::test::latest_complete_checkpoint(checkpoints);
  REQUIRE(latest >= 2);
  if (is_root()) CHECK(first.checkpoints.last_id == latest);

  // Every rank wrote the files of its own instances into the one directory.
  const sw::CheckpointManifest m = manifest_of(dir, latest);
  CHECK(m.ranks == ranks);
  std::set<std::uint32_t> writers;
  for (const sw::StateFileEntry& f : m.files) {
    writers.insert(f.rank);
    CHECK(f.rank == f.instance % ranks);  // instance i runs on rank i % ranks
  }
  CHECK(writers.size() == std::min(ranks, 3u));

  sw::RunReport second;
  const sw::test::KeySums sums = run_sums(checkpointed(dir), second);
  if (is_root()) CHECK(sums == sw::test::sums_by_modulo(kEvents, kKeys));
  CHECK(second.checkpoints.restored_from == latest);  // rank 0's choice, on every rank
  CHECK(second.checkpoints.completed >= 1);           // the final one at least, heard on every rank
  CHECK(second.events < kEvents);                     // the sources went on from their positions
  // Rank 0 only: it removes the directory when it is done, while the others may still be here.
  if (is_root()) {
    const sw::CheckpointManifest last = manifest_of(dir, second.checkpoints.last_id);
    CHECK(last.final);
    CHECK(last.ranks == ranks);
  }
}

TEST_CASE("distributed: a run stopped at its deadline takes a savepoint on every rank",
          "[distributed]") {
  sw::test::Watchdog watchdog("distributed savepoint", std::chrono::seconds(120));
  SharedDir dir;
  sw::RunOptions o = checkpointed(dir);
  o.checkpoints.interval = std::chrono::milliseconds(0);  // only the savepoint
  o.checkpoints.savepoint_on_stop = true;
  o.source_rate = 20'000;  // per source instance: about 3 s of input
  o.deadline = std::chrono::milliseconds(300);
  sw::RunReport first;
  (void)run_sums(o, first);
  CHECK(first.status == sw::RunReport::Status::cancelled);
  CHECK(first.checkpoints.completed == 1);
  CHECK(first.checkpoints.savepoint == 1);
  CHECK(manifest_of(dir, 1).savepoint);  // before the next run: rank 0 waits there for all

  sw::RunReport second;
  const sw::test::KeySums sums = run_sums(checkpointed(dir), second);
  if (is_root()) CHECK(sums == sw::test::sums_by_modulo(kEvents, kKeys));
  CHECK(second.checkpoints.restored_from == 1);
}

TEST_CASE("distributed: a checkpoint directory in use is named, and every rank stops",
          "[distributed]") {
  sw::test::Watchdog watchdog("distributed checkpoint lock", std::chrono::seconds(60));
  SharedDir dir;
  sw::RunOptions o = checkpointed(dir);
  sw::RunReport report;
  // Rank 0 locks the directory: held by another run (this process, here), rank 0's choice
  // fails, and the others hear that it did.
  sw::RunOptions in_process = o;
  in_process.mode = sw::Mode::in_process;
  in_process.source_rate = 50'000;  // 4 s: runs while the distributed run tries
  in_process.deadline = std::chrono::seconds(2);
  std::thread other;
  if (is_root()) {
    other = std::thread([&] {
      sw::RunReport r;
      try {
        (void)run_sums(in_process, r);
      } catch (...) {  // checked below: the lock was taken
      }
    });
    while (!std::filesystem::exists(o.checkpoints.directory / ".lock")) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK_THROWS_WITH(run_sums(o, report), Catch::Contains("is in use by another run"));
  if (other.joinable()) other.join();
}
