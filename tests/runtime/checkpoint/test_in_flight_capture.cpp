// Unaligned checkpoints: a task whose inputs' barriers come far apart snapshots without
// waiting and saves the batches in flight; a run restored from such a checkpoint gives exactly
// the output of a run never stopped, with the same parallelism or another (the saved batches
// go to the instances that own their keys now). Savepoints stay aligned.
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <span>
#include <thread>

#include "../../../runtime/src/checkpoint/in_flight_capture.hpp"
#include "support/checkpoint_files.hpp"
#include "support/key_sums.hpp"
#include "support/temp_dir.hpp"
#include "support/watchdog.hpp"

namespace {

constexpr std::uint64_t kEvents = 50'000;  // per source
constexpr std::uint64_t kKeys = 61;

using Sums = sw::test::KeySums;

// Two sources merged, summed per key. One source's batches pass a map that drags, so the
// merge hears that source's barriers long after the other's (about 32 k items/s per instance
// get through the drag): it aligns them, or (with an
// alignment timeout) passes the checkpoint unaligned and saves what the slow input sends
// before its barrier. `inputs`: how the merge's inputs are partitioned (by key, its saved
// batches are split by key when the parallelism changes).
enum class MergeInputs { as_is, by_key, slow_broadcast };
Sums run_sums(const sw::RunOptions& options, unsigned parallelism, sw::RunReport* report,
              MergeInputs inputs = MergeInputs::as_is) {
  sw::Graph g{"merged sums"};
  std::vector<sw::KeyValue<std::uint64_t, std::uint64_t>> out;
  const sw::NodeOptions node{.parallelism = parallelism};
  auto slow =
      g.source("evens", sw::generate<std::uint64_t>(kEvents, [](std::uint64_t i) { return 2 * i; }),
               node)
          .rebalance()  // not fused: the batches queue up before the drag, barriers behind them
          .map(
              "drag",
              [](std::uint64_t x) {
                if (x % 64 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                return x;
              },
              node);
  auto fast = g.source(
      "odds", sw::generate<std::uint64_t>(kEvents, [](std::uint64_t i) { return 2 * i + 1; }),
      node);
  auto add = [](std::uint64_t acc, std::uint64_t x) { return acc + x; };
  auto key = [](std::uint64_t x) { return x % kKeys; };
  auto merged = inputs == MergeInputs::by_key
                    ? slow.partitioned_by(key).merge_as("merge", node, fast.partitioned_by(key))
                : inputs == MergeInputs::slow_broadcast
                    ? slow.broadcast().merge_as("merge", node, fast)
                    : slow.merge_as("merge", node, fast);
  merged.key_by(key)
      .reduce("sum", add, {.emit = sw::Emit::at_end, .node = node})
      .sink("out", sw::collect(out));
  const sw::RunReport r = sw::run(g, options);
  if (report != nullptr) *report = r;
  return sw::test::sums_of(out);
}

Sums expected_sums() {
  return sw::test::sums_by_modulo(2 * kEvents, kKeys);
}

sw::RunOptions checkpointed(const sw::test::TempDir& dir, std::size_t batch) {
  sw::RunOptions o;
  o.threads = 2;
  o.batch_size = batch;
  o.checkpoints.directory = dir.file("checkpoints");
  o.checkpoints.interval = std::chrono::milliseconds(20);
  o.checkpoints.alignment_timeout = std::chrono::milliseconds(0);  // unaligned at once
  return o;
}

// The bytes of in-flight files in checkpoint `id` under `dir`.
std::uintmax_t in_flight_bytes(const std::filesystem::path& dir, std::uint64_t id) {
  std::uintmax_t bytes = 0;
  std::error_code ignored;
  for (const auto& e :
       std::filesystem::directory_iterator(dir / sw::runtime::checkpoint_dir_name(id), ignored)) {
    if (e.path().extension() == ".inflight") bytes += e.file_size();
  }
  return bytes;
}

// Whether the newest complete checkpoint under `dir` saved batches in flight.
bool latest_is_unaligned(const std::filesystem::path& dir) {
  const std::uint64_t latest = sw::test::latest_complete_checkpoint(dir);
  return latest != 0 && in_flight_bytes(dir, latest) != 0;
}

// checkpointed(), paced, and cancelled as soon as the newest complete checkpoint saved batches
// in flight: the run a restart must replay them into.
sw::RunOptions stopped_once_unaligned(const sw::test::TempDir& dir, std::size_t batch) {
  sw::RunOptions o = checkpointed(dir, batch);
  o.source_rate = 100'000;
  sw::CancelToken stop;
  o.cancel = stop;
  o.progress_interval = std::chrono::milliseconds(5);
  o.on_progress = [stop, checkpoints = dir.file("checkpoints")](const sw::RunProgress&) {
    if (latest_is_unaligned(checkpoints)) stop.cancel();
  };
  return o;
}

}  // namespace

TEST_CASE("a capture keeps the batches of pending slots as frames until every barrier came") {
  sw::BufferPool buffers;
  sw::BatchPool<std::uint64_t> pool(sw::BatchPool<std::uint64_t>::kDefaultRetained, buffers);
  const sw::TypedBatchCodec<std::uint64_t> codec;
  sw::runtime::InFlightCapture capture;
  CHECK_FALSE(capture.active());
  std::vector<sw::runtime::InstanceSnapshot> states;
  states.push_back(sw::runtime::InstanceSnapshot{4, 1, 2, {sw::Bytes::copy_of("state")}});
  capture.start(7, {false, true, true}, std::move(states), std::chrono::milliseconds(3), buffers);
  REQUIRE(capture.active());
  CHECK(capture.id() == 7);
  CHECK_FALSE(capture.pending(0));
  CHECK(capture.pending(1));
  for (std::uint64_t b = 0; b < 3; ++b) {
    sw::BatchPtr<std::uint64_t> batch = pool.acquire(100);
    for (std::uint64_t i = 0; i < 100; ++i) batch->items.push_back(b * 100 + i);
    capture.record(*batch, sw::runtime::InputSlot{5, static_cast<std::uint32_t>(b), &codec}, 1,
                   buffers);
  }
  CHECK_FALSE(capture.arrived(1));
  CHECK(capture.arrived(2));
  CHECK_FALSE(capture.error());
  sw::Clock::duration waited{};
  const std::vector<sw::runtime::InstanceSnapshot> saved = capture.finish(4, 1, waited);
  CHECK_FALSE(capture.active());
  CHECK(waited == std::chrono::milliseconds(3));
  REQUIRE(saved.size() == 2);  // the state, then the batches
  CHECK(saved[0].kind == sw::StateFileKind::operator_state);
  const sw::runtime::InstanceSnapshot& frames = saved[1];
  CHECK(frames.kind == sw::StateFileKind::in_flight);
  CHECK(frames.node == 4);
  CHECK(frames.instance == 1);
  CHECK(frames.entries == 300);
  REQUIRE(frames.payload.size() == 1);
  const sw::Bytes& bytes = frames.payload[0];
  // Frames one after another, each with its edge and producer, decoding to the items in order.
  std::vector<std::uint64_t> items;
  std::size_t at = 0;
  std::uint32_t producer = 0;
  while (at < bytes.size()) {
    std::uint32_t payload_bytes = 0;
    std::memcpy(&payload_bytes, bytes.data() + at + 32, 4);
    const std::size_t size = sw::kFrameHeaderBytes + payload_bytes;
    const sw::Frame frame = sw::parse_frame(bytes.slice(at, at + size));
    CHECK(frame.header.edge == 5);
    CHECK(frame.header.source_instance == producer++);
    CHECK(frame.header.target_instance == 1);
    const sw::BatchRef batch = codec.decode(frame, pool);
    const auto& typed = static_cast<const sw::Batch<std::uint64_t>&>(*batch);
    items.insert(items.end(), typed.items.begin(), typed.items.end());
    at += size;
  }
  REQUIRE(items.size() == 300);
  for (std::uint64_t i = 0; i < 300; ++i) CHECK(items[i] == i);
}

TEST_CASE("a run restored from an unaligned checkpoint replays its in-flight batches exactly") {
  sw::test::Watchdog watchdog("unaligned restart", std::chrono::seconds(90));
  std::mt19937 rng(std::random_device{}());
  int restored_unaligned = 0;
  int rescaled_unaligned = 0;
  for (int round = 0; round < 8 && restored_unaligned < 4; ++round) {
    sw::test::TempDir dir;
    const unsigned parallelism = 1 + rng() % 3;
    const std::size_t batch = 16 + rng() % 256;
    INFO("parallelism " << parallelism << ", batch " << batch);
    const std::filesystem::path checkpoints = dir.file("checkpoints");
    const sw::RunOptions o = stopped_once_unaligned(dir, batch);
    sw::RunReport first;
    const MergeInputs inputs = round % 2 == 1 ? MergeInputs::by_key : MergeInputs::as_is;
    (void)run_sums(o, parallelism, &first, inputs);
    REQUIRE(first.status == sw::RunReport::Status::cancelled);
    CHECK(first.checkpoints.failed == 0);
    REQUIRE(first.checkpoints.completed >= 1);
    CHECK(first.checkpoints.unaligned >= 1);
    const bool unaligned = in_flight_bytes(checkpoints, first.checkpoints.last_id) != 0;
    CHECK_THAT(first.summary(), Catch::Contains(" unaligned), 0 failed"));
    CHECK((first.checkpoints.last_in_flight_bytes != 0) == unaligned);

    // Restored with another parallelism (the same every third round): the in-flight batches
    // of an instance of the merge go to the instance that owns their items now.
    const unsigned restored = 1 + (parallelism + static_cast<unsigned>(round)) % 3;
    INFO("restored with parallelism " << restored
                                      << (inputs == MergeInputs::by_key ? ", keyed merge" : ""));
    sw::RunReport second;
    CHECK(run_sums(checkpointed(dir, 16 + rng() % 256), restored, &second, inputs) ==
          expected_sums());
    CHECK(second.checkpoints.restored_from == first.checkpoints.last_id);
    CHECK(second.events < 2 * kEvents);
    restored_unaligned += unaligned ? 1 : 0;
    rescaled_unaligned += unaligned && restored != parallelism ? 1 : 0;
  }
  CHECK(restored_unaligned >= 1);
  CHECK(rescaled_unaligned >= 1);
}

namespace {

// evens → drag → (rebalance) → pass → keyed sum. At parallelism 2 "pass" heads a task of its
// own with an input from each drag instance, so an unaligned checkpoint saves batches in flight
// into it; at parallelism 1 the rebalance fuses and the whole line compiles into one loop
// (engine/chain.hpp), with "pass" inside it.
void compiled_line(sw::Graph& g, unsigned parallelism,
                   std::vector<sw::KeyValue<std::uint64_t, std::uint64_t>>& out) {
  const sw::NodeOptions node{.parallelism = parallelism};
  g.source("evens", sw::generate<std::uint64_t>(kEvents, [](std::uint64_t i) { return 2 * i; }),
           node)
      .map(
          "drag",
          [](std::uint64_t x) {
            if (x % 64 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            return 3 * x;  // not idempotent: a saved batch that went through it again would show
          },
          node)
      .rebalance()
      .map(
          "pass", [](std::uint64_t x) { return x + 1; }, node)
      .key_by([](std::uint64_t x) { return x % kKeys; })
      .reduce("sum", [](std::uint64_t acc, std::uint64_t x) { return acc + x; },
              {.emit = sw::Emit::at_end, .node = node})
      .sink("out", sw::collect(out));
}

}  // namespace

TEST_CASE("a batch saved in flight enters a compiled chain at its node's step") {
  sw::test::Watchdog watchdog("in flight into a compiled chain", std::chrono::seconds(120));
  std::mt19937 rng(std::random_device{}());
  std::vector<sw::KeyValue<std::uint64_t, std::uint64_t>> unused;
  {
    sw::Graph g{"compiled line"};
    compiled_line(g, 1, unused);
    const sw::Plan plan = sw::make_plan(g, {});
    REQUIRE(plan.compiled.size() == 1);
    CHECK(plan.compiled[0] == std::vector<sw::NodeId>{0, 1, 2, 3});  // evens .. sum
  }
  Sums expected;
  for (std::uint64_t i = 0; i < kEvents; ++i) expected[(6 * i + 1) % kKeys] += 6 * i + 1;
  bool replayed = false;
  for (int round = 0; round < 8 && !replayed; ++round) {
    sw::test::TempDir dir;
    const std::size_t batch = 16 + rng() % 128;
    INFO("batch " << batch);
    std::vector<sw::KeyValue<std::uint64_t, std::uint64_t>> first_out;
    sw::Graph before{"compiled line"};
    compiled_line(before, 2, first_out);
    const sw::RunReport first = sw::run(before, stopped_once_unaligned(dir, batch));
    REQUIRE(first.status == sw::RunReport::Status::cancelled);
    REQUIRE(first.checkpoints.completed >= 1);
    if (in_flight_bytes(dir.file("checkpoints"), first.checkpoints.last_id) == 0) continue;
    std::vector<sw::KeyValue<std::uint64_t, std::uint64_t>> out;
    sw::Graph after{"compiled line"};
    compiled_line(after, 1, out);
    const sw::RunReport second = sw::run(after, checkpointed(dir, batch));
    CHECK(second.checkpoints.restored_from == first.checkpoints.last_id);
    CHECK(sw::test::sums_of(out) == expected);
    replayed = true;
  }
  CHECK(replayed);
}

TEST_CASE("batches saved in flight on a broadcast input refuse another parallelism by name") {
  sw::test::Watchdog watchdog("unaligned broadcast", std::chrono::seconds(90));
  bool refused = false;
  for (int round = 0; round < 6 && !refused; ++round) {
    sw::test::TempDir dir;
    sw::RunReport first;
    (void)run_sums(stopped_once_unaligned(dir, 64), 2, &first, MergeInputs::slow_broadcast);
    if (in_flight_bytes(dir.file("checkpoints"), first.checkpoints.last_id) == 0) continue;
    // Each instance of the merge saved its own part of the broadcast stream: no other number
    // of instances can be given exactly those items.
    CHECK_THROWS_WITH(run_sums(checkpointed(dir, 64), 3, nullptr, MergeInputs::slow_broadcast),
                      Catch::Contains("node 'merge' unaligned") &&
                          Catch::Contains("on a broadcast input") &&
                          Catch::Contains("restore it with parallelism 2"));
    refused = true;
  }
  CHECK(refused);
}

TEST_CASE("checkpoints stay aligned without an alignment timeout, and savepoints always") {
  sw::test::Watchdog watchdog("aligned savepoint", std::chrono::seconds(60));
  sw::test::TempDir dir;
  sw::RunOptions o = checkpointed(dir, 64);
  o.checkpoints.alignment_timeout.reset();
  sw::RunReport aligned;
  CHECK(run_sums(o, 2, &aligned) == expected_sums());
  CHECK(aligned.checkpoints.completed >= 1);
  CHECK(aligned.checkpoints.unaligned == 0);
  CHECK(aligned.checkpoints.last_in_flight_bytes == 0);

  // A savepoint is aligned even when periodic checkpoints are not: it restores with another
  // parallelism.
  sw::test::TempDir other;
  o = checkpointed(other, 64);
  o.checkpoints.interval = std::chrono::milliseconds(0);
  o.checkpoints.savepoint_on_stop = true;
  o.source_rate = 200'000;
  o.deadline = std::chrono::milliseconds(200);
  sw::RunReport first;
  (void)run_sums(o, 2, &first);
  REQUIRE(first.checkpoints.savepoint == 1);
  CHECK(first.checkpoints.unaligned == 0);
  CHECK(in_flight_bytes(other.file("checkpoints"), 1) == 0);
  sw::RunReport second;
  CHECK(run_sums(checkpointed(other, 64), 3, &second) == expected_sums());
  CHECK(second.checkpoints.restored_from == 1);
}
