// Distributed mode: the same graphs run in process and distributed must give the same results.
// Run as it is, the suite is one rank that still encodes and decodes every exchange; CTest also
// runs the "[distributed]" cases under `mpirun -np 2` and `-np 3` (tests/CMakeLists.txt), where
// every rank runs the same cases in the same order (SPMD). Sinks gathered to one instance
// (parallelism 1) run on rank 0, so their contents are checked there; the merged report is the
// same on every rank.
#include <sched.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <streamweave/operators/nexmark/source.hpp>
#include <streamweave/runtime/distributed.hpp>
#include <streamweave/serde/hash.hpp>
#include <streamweave/streamweave.hpp>
#include <thread>
#include <tuple>

#include "support/helpers.hpp"
#include "support/watchdog.hpp"

namespace {

struct Bid {
  std::uint64_t auction = 0;
  std::uint64_t bidder = 0;
  std::int64_t price = 0;
  std::string channel;
};

Bid make_bid(std::uint64_t i) {
  return Bid{(i * 7919) % 1000, i % 313, static_cast<std::int64_t>((i * 31) % 10000),
             "channel-" + std::to_string(i % 7)};
}

bool is_root() {
  return sw::cluster().rank == 0;
}

// Settings drawn from one fixed seed per case: the same on every rank (every rank must build
// the same graph), different from case to case.
struct Shape {
  unsigned parallelism;
  std::size_t batch;
  std::size_t capacity;
  unsigned threads;           // per rank in distributed mode; with 1, tasks run on the
  bool tasks_on_comm_thread;  // communication thread unless this is false
  sw::PayloadChecksum payload_checksum;
};

std::vector<Shape> shapes(std::uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<Shape> out;
  for (int i = 0; i < 3; ++i) {
    out.push_back(Shape{1 + static_cast<unsigned>(random() % 4),
                        std::size_t{1} << (2 + random() % 9), 1 + random() % 8,
                        1 + static_cast<unsigned>(random() % 2), random() % 4 != 0,
                        static_cast<sw::PayloadChecksum>(random() % 3)});
  }
  return out;
}

template <class Build>
void same_in_both_modes(const char* what, std::uint32_t seed, Build build) {
  for (const Shape& shape : shapes(seed)) {
    INFO(what << ": parallelism " << shape.parallelism << ", batch " << shape.batch << ", capacity "
              << shape.capacity << ", threads " << shape.threads << ", tasks on comm thread "
              << shape.tasks_on_comm_thread << ", payload checksum "
              << static_cast<int>(shape.payload_checksum));
    sw::test::Watchdog watchdog(what, std::chrono::seconds(90));
    const sw::RunOptions options{
        .threads = 2, .batch_size = shape.batch, .channel_capacity = shape.capacity};
    sw::RunOptions distributed{.mode = sw::Mode::distributed,
                               .threads = shape.threads,
                               .batch_size = shape.batch,
                               .channel_capacity = shape.capacity};
    distributed.distributed.tasks_on_comm_thread = shape.tasks_on_comm_thread;
    distributed.distributed.payload_checksum = shape.payload_checksum;
    const auto expected = build(shape.parallelism, options);
    const auto actual = build(shape.parallelism, distributed);
    if (is_root()) CHECK(actual == expected);
  }
}

}  // namespace

TEST_CASE("cluster() counts the cores a rank may use, and the default workers fit in them",
          "[distributed]") {
  const sw::ClusterInfo& info = sw::cluster();
  cpu_set_t mine;
  CPU_ZERO(&mine);
  REQUIRE(sched_getaffinity(0, sizeof mine, &mine) == 0);
  CHECK(info.cpus == static_cast<unsigned>(CPU_COUNT(&mine)));
  CHECK(info.cpus_on_host >= info.cpus);
  CHECK(info.cpus_on_host <= std::max(1u, std::thread::hardware_concurrency()));
  sw::Graph g{"default_threads"};
  std::uint64_t total = 0;
  g.source("numbers", sw::generate<std::uint64_t>(1000, [](std::uint64_t i) { return i; }))
      .rebalance()
      .sink("count", sw::count(total), {.parallelism = 1});
  const sw::RunReport r = sw::run(g, {.mode = sw::Mode::distributed});
  // A rank bound to one core (mpirun binds each of up to two ranks) runs one worker.
  CHECK(r.threads >= 1);
  CHECK(r.threads <= info.cpus);
  CHECK(r.threads <= std::max(1u, info.cpus_on_host / info.ranks_on_host));
  if (is_root()) CHECK(total == 1000);
  // Each host is named by its lowest rank. Under plain mpirun every rank is on this machine;
  // scripts/hosts.sh says how many hosts (network namespaces) it spread them over.
  REQUIRE(info.host_of_rank.size() == info.ranks);
  const char* hosts_env = std::getenv("STREAMWEAVE_TEST_HOSTS");
  const unsigned hosts = hosts_env != nullptr ? static_cast<unsigned>(std::atoi(hosts_env)) : 1;
  std::set<unsigned> distinct;
  for (unsigned r = 0; r < info.ranks; ++r) {
    const unsigned host = info.host_of_rank[r];
    CHECK(host <= r);
    CHECK(info.host_of_rank[host] == host);
    CHECK(info.on_this_host(r) == (host == info.host_of_rank[info.rank]));
    distinct.insert(host);
  }
  CHECK(distinct.size() == std::min(hosts, info.ranks));
  CHECK(info.on_this_host(info.rank));
  CHECK_FALSE(info.on_this_host(info.ranks));
}

TEST_CASE("distributed: keyed count per auction matches in-process", "[distributed]") {
  same_in_both_modes("keyed count", 11, [](unsigned p, const sw::RunOptions& options) {
    sw::Graph g{"keyed-count"};
    std::vector<sw::KeyValue<std::uint64_t, std::uint64_t>> out;
    g.source("bids", sw::generate<Bid>(20000, make_bid), {.parallelism = p})
        .key_by([](const Bid& b) { return b.auction; })
        .aggregate("count", std::uint64_t{0}, [](std::uint64_t n, const Bid&) { return n + 1; },
                   {.emit = sw::Emit::at_end, .node = {.parallelism = p + 1}})
        .sink("out", sw::collect(out), {.parallelism = 1});
    const sw::RunReport report = sw::run(g, options);
    CHECK(report.node("out").items_in == 1000);  // merged: the same on every rank
    return sw::test::sorted(out);
  });
}

TEST_CASE("distributed: keyed reduce with strings matches in-process", "[distributed]") {
  same_in_both_modes("keyed reduce", 12, [](unsigned p, const sw::RunOptions& options) {
    sw::Graph g{"keyed-reduce"};
    std::vector<sw::KeyValue<std::string, std::int64_t>> out;
    g.source("bids", sw::generate<Bid>(30000, make_bid), {.parallelism = p})
        .key_by([](const Bid& b) { return b.channel; })
        .reduce("sum", [](std::int64_t acc, const Bid& b) { return acc + b.price; },
                {.emit = sw::Emit::at_end})
        .gather()
        .sink("out", sw::collect(out), {.parallelism = 2});
    (void)sw::run(g, options);
    return sw::test::sorted(out);
  });
}

TEST_CASE("distributed: event-time windows over NEXMark bids match in-process", "[distributed]") {
  same_in_both_modes("windows", 13, [](unsigned p, const sw::RunOptions& options) {
    namespace nx = sw::nexmark;
    sw::Graph g{"windows"};
    std::vector<sw::Windowed<std::int64_t, std::uint64_t>> counts;
    std::vector<sw::Windowed<sw::AllKeys, std::int64_t>> maxima;
    auto bids = g.source("events", nx::source({.events = 20000}), {.parallelism = p})
                    .with_watermarks("time", [](const nx::Event& e) { return e.date_time(); },
                                     {.out_of_orderness = 100})
                    .flat_map<nx::Bid>("bids", [](const nx::Event& e, sw::Emitter<nx::Bid>& out) {
                      if (const nx::Bid* b = e.bid()) out(*b);
                    });
    bids.key_by([](const nx::Bid& b) { return b.auction; })
        .window("counts", sw::sliding(10000, 2000), [](const nx::Bid& b) { return b.date_time; },
                sw::agg::count(), {.node = {.parallelism = p + 1}})
        .sink("counts-out", sw::collect(counts), {.parallelism = 1});
    bids.window_all(
            "max", sw::tumbling(10000), [](const nx::Bid& b) { return b.date_time; },
            sw::agg::max<nx::Bid>([](const nx::Bid& b) { return b.price; }))
        .sink("max-out", sw::collect(maxima), {.parallelism = 1});
    const sw::RunReport report = sw::run(g, options);
    CHECK(report.node("counts").late_dropped == 0);
    CHECK(report.node("max").late_dropped == 0);
    std::sort(maxima.begin(), maxima.end());
    return std::make_pair(sw::test::sorted(counts), maxima);
  });
}

TEST_CASE("distributed: fan-out to consumers of different parallelism", "[distributed]") {
  same_in_both_modes("fan-out", 13, [](unsigned p, const sw::RunOptions& options) {
    sw::Graph g{"fan-out"};
    std::vector<int> a;
    std::vector<int> b;
    std::vector<int> c;
    auto s = g.source("s", sw::from(sw::test::iota(25000)), {.parallelism = p});
    s.map("double", [](int v) { return v * 2; }).sink("a", sw::collect(a), {.parallelism = 1});
    s.filter("odd", [](int v) { return v % 2 == 1; }).sink("b", sw::collect(b), {.parallelism = 1});
    s.rebalance()
        .map("neg", [](int v) { return -v; }, {.parallelism = p + 1})
        .gather()
        .sink("c", sw::collect(c), {.parallelism = 1});
    (void)sw::run(g, options);
    return std::vector{sw::test::sorted(a), sw::test::sorted(b), sw::test::sorted(c)};
  });
}

TEST_CASE("distributed: merge of two sources matches in-process", "[distributed]") {
  same_in_both_modes("merge", 14, [](unsigned p, const sw::RunOptions& options) {
    sw::Graph g{"merge"};
    std::vector<int> out;
    auto left = g.source("left", sw::from(sw::test::iota(10000)), {.parallelism = p});
    auto right = g.source("right", sw::from(sw::test::iota(10000, 50000)), {.parallelism = 1});
    left.merge(right)
        .map("inc", [](int v) { return v + 1; })
        .sink("out", sw::collect(out), {.parallelism = 1});
    (void)sw::run(g, options);
    return sw::test::sorted(out);
  });
}

TEST_CASE("distributed: rebalance and broadcast match in-process", "[distributed]") {
  same_in_both_modes("rebalance/broadcast", 15, [](unsigned p, const sw::RunOptions& options) {
    sw::Graph g{"spread"};
    std::vector<int> spread;
    std::vector<int> everywhere;
    auto s = g.source("s", sw::from(sw::test::iota(12000)), {.parallelism = 1});
    s.rebalance()
        .map("square", [](int v) { return v % 1000 * (v % 1000); }, {.parallelism = p + 1})
        .sink("spread", sw::collect(spread), {.parallelism = 1});
    s.broadcast()
        .filter("tens", [](int v) { return v % 10 == 0; }, {.parallelism = p})
        .sink("everywhere", sw::collect(everywhere), {.parallelism = 1});
    (void)sw::run(g, options);
    return std::vector{sw::test::sorted(spread), sw::test::sorted(everywhere)};
  });
}

namespace {
struct Blob {
  std::uint32_t id = 0;
  sw::Bytes payload;
};

// Payloads of 0 bytes to 70 KiB, their bytes made from the id, so a piece out of place or
// sent from a buffer that was reused shows in the digest.
Blob make_blob(std::uint64_t i) {
  static const std::size_t kSizes[] = {0, 3, 200, 4095, 4096, 9000, 70000};
  std::string bytes(kSizes[(i * 2654435761u) % std::size(kSizes)], '\0');
  for (std::size_t k = 0; k < bytes.size(); ++k) bytes[k] = static_cast<char>(i * 13 + k * 7);
  return Blob{static_cast<std::uint32_t>(i), sw::Bytes::copy_of(bytes)};
}
}  // namespace

TEST_CASE("distributed: large values sent without a copy arrive intact", "[distributed]") {
  // Values from splice_bytes up cross ranks as pieces MPI sends from where they are; 1 splices
  // every non-empty value (many pieces per frame), 0 copies them all. A maximum frame size
  // some items overflow makes the encoder take spliced values back.
  std::mt19937 random(17);
  for (const std::size_t splice : {std::size_t{4096}, std::size_t{1}, std::size_t{0}}) {
    const unsigned p = 1 + static_cast<unsigned>(random() % 3);
    const std::size_t batch = std::size_t{1} << (random() % 7);
    INFO("splice_bytes " << splice << ", parallelism " << p << ", batch " << batch);
    sw::test::Watchdog watchdog("spliced values", std::chrono::seconds(90));
    auto run = [&](sw::Mode mode) {
      sw::Graph g{"spliced"};
      std::vector<std::tuple<std::uint32_t, std::uint64_t, std::size_t>> out;
      g.source("blobs", sw::generate<Blob>(3000, make_blob), {.parallelism = p})
          .key_by([](const Blob& b) { return b.id % 97; })
          .map("digest",
               [](const Blob& b) {
                 return std::tuple{b.id, sw::fnv1a64(b.payload.as_string_view()), b.payload.size()};
               },
               {.parallelism = p + 1})
          .sink("out", sw::collect(out), {.parallelism = 1});
      sw::RunOptions options{.mode = mode, .threads = 2, .batch_size = batch};
      options.distributed.splice_bytes = splice;
      options.distributed.frame_bytes = 64u << 10;
      options.distributed.max_frame_bytes = 160u << 10;
      const sw::RunReport r = sw::run(g, options);
      CHECK(r.node("out").items_in == 3000);
      if (mode == sw::Mode::distributed) {
        REQUIRE(r.edges.size() == 2);
        CHECK(r.edges[0].bytes_sent == r.edges[0].bytes_received);
      }
      return sw::test::sorted(out);
    };
    const auto expected = run(sw::Mode::in_process);
    const auto actual = run(sw::Mode::distributed);
    if (is_root()) {
      REQUIRE(expected.size() == 3000);
      CHECK(actual == expected);
    }
  }
}

TEST_CASE("distributed: the report shows placement and exchange traffic", "[distributed]") {
  sw::test::Watchdog watchdog("report", std::chrono::seconds(60));
  sw::Graph g{"report"};
  std::uint64_t total = 0;
  g.source("bids", sw::generate<Bid>(40000, make_bid), {.parallelism = 2})
      .key_by([](const Bid& b) { return b.auction; })
      .reduce("sum", [](std::int64_t acc, const Bid& b) { return acc + b.price; },
              {.node = {.parallelism = 2}})
      .sink("count", sw::count(total), {.parallelism = 1});
  const sw::RunReport r = sw::run(g, {.mode = sw::Mode::distributed, .threads = 2});
  const unsigned ranks = sw::cluster().ranks;
  CHECK(r.mode == "distributed");
  CHECK(r.ranks == ranks);
  CHECK(r.rank == sw::cluster().rank);
  REQUIRE(r.per_rank.size() == ranks);
  CHECK(r.events == 40000);
  CHECK(r.node("sum").items_in == 40000);
  CHECK(r.node("count").items_in == 40000);
  CHECK(r.node("sum").ranks == std::vector<std::uint32_t>{0, 1 % ranks});
  REQUIRE(r.edges.size() == 2);  // bids -> sum (hash), sum -> count (gathered by rebalance)
  CHECK(r.edges[0].partitioning == "hash");
  CHECK(r.edges[0].frames_sent == r.edges[0].frames_received);
  CHECK(r.edges[0].bytes_sent == r.edges[0].bytes_received);
  CHECK(r.edges[0].frames_sent >= 2);
  if (ranks > 1) CHECK(r.edges[0].remote_frames_sent > 0);
  if (is_root()) CHECK(total == 40000);
  CHECK(r.summary().find("exchange edge") != std::string::npos);
}

TEST_CASE("distributed: an error on one rank stops every rank", "[distributed]") {
  const unsigned threads = GENERATE(1u, 2u);  // 1: tasks on the comm thread (np <= cores)
  sw::test::Watchdog watchdog("remote error", std::chrono::seconds(60));
  const unsigned ranks = sw::cluster().ranks;
  sw::Graph g{"fails"};
  g.source("s", sw::generate<std::uint64_t>(sw::unbounded, [](std::uint64_t i) { return i; }),
           {.parallelism = 2})
      .rebalance()
      .map("boom",
           [](std::uint64_t v) {
             if (v > 20000) throw std::runtime_error("boom at " + std::to_string(v));
             return v;
           },
           {.parallelism = 2})
      .sink("out", sw::discard(), {.parallelism = 2});
  // Both instances of "boom" (on ranks 0 and 1 when there are two) fail soon; whichever fails
  // first, every rank stops: the failing one with its NodeError naming rank and node, the
  // others with RemoteFailure naming the failing rank.
  try {
    (void)sw::run(g, {.mode = sw::Mode::distributed, .threads = threads});
    FAIL("run() returned");
  } catch (const sw::NodeError& e) {
    CHECK(e.node() == "boom");
    CHECK(e.rank() == static_cast<int>(sw::cluster().rank));
    CHECK_THAT(e.what(),
               Catch::StartsWith("rank " + std::to_string(sw::cluster().rank) + ": node 'boom'"));
  } catch (const sw::RemoteFailure& e) {
    CHECK(ranks > 1);
    CHECK(e.rank() != sw::cluster().rank);
    CHECK_THAT(e.message(), Catch::Contains("node 'boom'"));
  }
}

TEST_CASE("distributed: cancelling one rank stops every rank", "[distributed]") {
  const unsigned threads = GENERATE(1u, 2u);  // 1: tasks on the comm thread (np <= cores)
  sw::test::Watchdog watchdog("remote cancel", std::chrono::seconds(60));
  sw::Graph g{"endless"};
  g.source("s", sw::generate<std::uint64_t>(sw::unbounded, [](std::uint64_t i) { return i; }),
           {.parallelism = 2})
      .rebalance()
      .sink("out", sw::discard(), {.parallelism = 2});
  sw::CancelToken token;
  std::thread canceller;
  if (is_root()) {
    canceller = std::thread([token] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      token.cancel();
    });
  }
  // Only rank 0 cancels; the others must stop too rather than wait for its data.
  const sw::RunReport r =
      sw::run(g, {.mode = sw::Mode::distributed, .threads = threads, .cancel = token});
  if (canceller.joinable()) canceller.join();
  CHECK(r.status == sw::RunReport::Status::cancelled);
  CHECK(r.events > 0);
}

TEST_CASE("distributed: a corrupted frame is an error naming the peer and edge", "[distributed]") {
  const unsigned threads = GENERATE(1u, 2u);  // 1: tasks on the comm thread (np <= cores)
  const sw::PayloadChecksum checksum =
      GENERATE(sw::PayloadChecksum::always, sw::PayloadChecksum::never);
  sw::test::Watchdog watchdog("corrupt frame", std::chrono::seconds(60));
  sw::Graph g{"corrupt"};
  g.source("s", sw::from(sw::test::iota(50000)), {.parallelism = 2})
      .rebalance()
      .map("id", [](int v) { return v; }, {.parallelism = 2})
      .sink("out", sw::discard(), {.parallelism = 2});
  sw::RunOptions options{.mode = sw::Mode::distributed, .threads = threads, .batch_size = 256};
  options.distributed.payload_checksum = checksum;
  std::atomic<int> seen{0};
  // The last payload byte, or (when payloads are not checksummed) a byte of the sequence.
  const bool payload = checksum == sw::PayloadChecksum::always;
  options.distributed.frame_hook = [&seen, payload](std::size_t, unsigned,
                                                    std::span<std::byte> frame) {
    if (seen.fetch_add(1) == 5) frame[payload ? frame.size() - 1 : 24] ^= std::byte{0x5a};
  };
  try {
    (void)sw::run(g, options);
    FAIL("run() returned");
  } catch (const sw::ExchangeError& e) {
    CHECK(e.edge() == "'s' -> 'id'");
    CHECK_THAT(e.what(), Catch::Contains("checksum"));
    CHECK_THAT(e.what(), Catch::Contains("bad frame from rank"));
  } catch (const sw::RemoteFailure& e) {
    CHECK_THAT(e.message(), Catch::Contains("checksum"));
  }
}

TEST_CASE("distributed: frames checksum their payload as payload_checksum says", "[distributed]") {
  using sw::PayloadChecksum;
  const PayloadChecksum setting =
      GENERATE(PayloadChecksum::always, PayloadChecksum::between_hosts, PayloadChecksum::never);
  sw::test::Watchdog watchdog("payload checksum", std::chrono::seconds(60));
  sw::Graph g{"checksums"};
  std::uint64_t total = 0;
  // A source instance on every rank, so that every rank sends frames.
  g.source("s", sw::from(sw::test::iota(5000)), {.parallelism = 2 * sw::cluster().ranks})
      .rebalance()
      .sink("count", sw::count(total), {.parallelism = 1});
  sw::RunOptions options{.mode = sw::Mode::distributed, .batch_size = 64};
  options.distributed.payload_checksum = setting;
  std::mutex mutex;
  std::map<unsigned, std::set<std::uint16_t>> flags;  // by target rank
  options.distributed.frame_hook = [&](std::size_t, unsigned rank, std::span<std::byte> frame) {
    std::uint16_t f = 0;
    std::memcpy(&f, frame.data() + 6, sizeof f);
    std::lock_guard lock(mutex);
    flags[rank].insert(f);
  };
  (void)sw::run(g, options);
  if (is_root()) CHECK(total == 5000);
  // between_hosts checks only frames to a rank on another machine (none under plain mpirun).
  REQUIRE_FALSE(flags.empty());
  for (const auto& [rank, seen] : flags) {
    INFO("frames to rank " << rank);
    const bool checked =
        setting == PayloadChecksum::always ||
        (setting == PayloadChecksum::between_hosts && !sw::cluster().on_this_host(rank));
    CHECK(seen == std::set<std::uint16_t>{checked ? std::uint16_t{0} : sw::kFramePayloadUnchecked});
  }
}

TEST_CASE("distributed: a slow consumer rank keeps the frames in flight bounded by credits",
          "[distributed]") {
  const unsigned threads = GENERATE(1u, 2u);  // 1: tasks on the comm thread (np <= cores)
  sw::test::Watchdog watchdog("slow consumer", std::chrono::seconds(90));
  sw::Graph g{"slow"};
  const unsigned rank = sw::cluster().rank;
  std::uint64_t total = 0;
  g.source("fast", sw::from(sw::test::iota(40000)), {.parallelism = 1})
      .rebalance()
      .map("slow",
           [rank](int v) {
             if (rank != 0 && v % 64 == 0)
               std::this_thread::sleep_for(std::chrono::microseconds(50));
             return v;
           },
           {.parallelism = 2})
      .sink("count", sw::count(total), {.parallelism = 2});
  sw::RunOptions options{.mode = sw::Mode::distributed, .threads = threads, .batch_size = 64};
  options.distributed.credits = 3;
  const sw::RunReport r = sw::run(g, options);
  CHECK(r.node("count").items_in == 40000);
  REQUIRE(r.edges.size() == 1);
  if (sw::cluster().ranks > 1) {
    // 625 batches cross to the slow rank's instance; without flow control they would all be in
    // flight at once. One producer task checks its window before each step of one batch.
    CHECK(r.edges[0].remote_frames_sent > 100);
    CHECK(r.edges[0].peak_frames_in_flight <= 3 + 1);
    CHECK(r.edges[0].credit_stalls > 0);
  }
}

TEST_CASE("distributed: an item type without a codec is refused before the run", "[distributed]") {
  struct Opaque {
    std::shared_ptr<int> p;
  };
  sw::Graph g{"opaque"};
  g.source("s", sw::generate<Opaque>(10, [](std::uint64_t) { return Opaque{}; }),
           {.parallelism = 2})
      .sink("out", sw::discard(), {.parallelism = 1});
  CHECK_NOTHROW(sw::run(g, {.threads = 2}));
  CHECK_THROWS_WITH(sw::run(g, {.mode = sw::Mode::distributed, .threads = 2}),
                    Catch::Contains("crosses ranks") && Catch::Contains("has no binary codec") &&
                        Catch::Contains("node 'out'"));
}

// Run only by its own CTest entry under mpirun: rank 1 kills itself mid-run; the job must end
// with a non-zero exit within seconds, not hang.
TEST_CASE("distributed: a killed rank ends the job", "[.kill]") {
  sw::Graph g{"killed"};
  const unsigned rank = sw::cluster().rank;
  g.source("s", sw::generate<std::uint64_t>(sw::unbounded, [](std::uint64_t i) { return i; }),
           {.parallelism = 2})
      .rebalance()
      .map("die",
           [rank](std::uint64_t v) {
             if (rank == 1 && v > 100000) std::raise(SIGKILL);
             return v;
           },
           {.parallelism = 2})
      .sink("out", sw::discard(), {.parallelism = 2});
  (void)sw::run(g, {.mode = sw::Mode::distributed, .threads = 2});
}

// Run by tests/runtime/peer_failure.sh under mpirun, not by the suite: each rank writes its
// pid to $STREAMWEAVE_PEER_DIR/rank-<r>.pid and runs a paced exchange (about 8 s) while the
// script stops, pauses or cuts off a rank. STREAMWEAVE_PEER_EXPECT says what rank 0 must see:
// "complete" (a pause shorter than the heartbeat timeout is no failure) or "lost" (PeerLost
// naming the silent rank and its host, within the default timeout).
TEST_CASE("distributed: a silent peer is named and ends the job, a slow one is waited for",
          "[.peer]") {
  const char* dir = std::getenv("STREAMWEAVE_PEER_DIR");
  const char* expect = std::getenv("STREAMWEAVE_PEER_EXPECT");
  REQUIRE(dir != nullptr);
  REQUIRE(expect != nullptr);
  const sw::ClusterInfo& cluster = sw::cluster();
  std::ofstream(std::string(dir) + "/rank-" + std::to_string(cluster.rank) + ".pid")
      << ::getpid() << '\n';
  constexpr std::uint64_t kItems = 80000;
  sw::Graph g{"peer"};
  g.source("s", sw::generate<std::uint64_t>(kItems, [](std::uint64_t i) { return i; }),
           {.parallelism = cluster.ranks})
      .rebalance()
      .map("m", [](std::uint64_t v) { return v + 1; }, {.parallelism = cluster.ranks})
      .sink("out", sw::discard(), {.parallelism = cluster.ranks});
  sw::RunOptions options{.mode = sw::Mode::distributed, .threads = 2};
  options.source_rate = 10000;
  if (std::string(expect) == "complete") {
    const sw::RunReport report = sw::run(g, options);
    if (cluster.rank == 0) {
      CHECK(report.node("out").items_in == kItems);
      std::printf("PEER COMPLETE %llu items\n",
                  static_cast<unsigned long long>(report.node("out").items_in));
    }
    return;
  }
  try {
    (void)sw::run(g, options);
    FAIL("the run completed although a rank fell silent");
  } catch (const sw::PeerLost& e) {
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    CHECK_FALSE(e.host().empty());
    std::printf("PEER LOST rank %u at %lld ms: %s\n", e.rank(), static_cast<long long>(now_ms),
                e.what());
    std::fflush(stdout);
  }
}
