// Operator state through checkpoints: windows of every kind, joins, watermarks, the NEXMark
// source and latency histograms. Each graph runs once uninterrupted; then, paced, it is
// stopped once checkpoints are on disk and restored with the same or another parallelism and
// batch size: the file it commits holds exactly the uninterrupted run's lines.
#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <streamweave/operators/io/stream_log.hpp>
#include <streamweave/operators/nexmark/source.hpp>
#include <streamweave/streamweave.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <thread>

#include "support/checkpoint_files.hpp"
#include "support/temp_dir.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;

// Adds the graph under test, its parallelism `p`, committing lines to `out`.
using Build = std::function<void(sw::Graph&, unsigned p, const std::string& out)>;

sw::RunReport run_graph(const Build& build, unsigned p, const std::string& out,
                        const sw::RunOptions& options) {
  sw::Graph g{"state"};
  build(g, p, out);
  return sw::run(g, options);
}

sw::RunOptions checkpointed(const sw::test::TempDir& dir, std::mt19937& rng) {
  sw::RunOptions o;
  o.threads = 2;
  o.batch_size = 16 + rng() % 500;
  o.checkpoints.directory = dir.file("checkpoints");
  o.checkpoints.interval = 10ms;
  return o;
}

// Runs `build` paced, stops the run once two more checkpoints are complete, and restores the
// next from the last: the first round once into the same parallelism, the second twice, each
// into a random one (so that a run restored into another layout is stopped and restored in
// turn); then compares the committed lines with an uninterrupted run's. `events`: how many the
// sources make in all (paced: a second). Returns the report of the last restored run.
sw::RunReport check_restores(const Build& build, std::uint64_t events) {
  std::mt19937 rng(std::random_device{}());
  sw::test::TempDir clean;
  (void)run_graph(build, 2, clean.file("expected.txt"), {.threads = 2});
  const std::multiset<std::string> expected = sw::test::lines_of(clean.file("expected.txt"));
  REQUIRE(expected.size() > 10);
  sw::RunReport last;
  for (int round = 0; round < 2; ++round) {
    sw::test::TempDir dir;
    std::vector<unsigned> layouts{1 + static_cast<unsigned>(rng() % 3)};
    for (int restore = 0; restore <= round; ++restore) {
      layouts.push_back(round == 0 ? layouts.back() : 1 + static_cast<unsigned>(rng() % 3));
    }
    INFO("parallelism " << layouts[0] << ", restored into " << layouts[1]
                        << (round == 1 ? " then " + std::to_string(layouts[2]) : ""));
    const std::filesystem::path checkpoints = dir.file("checkpoints");
    for (std::size_t run = 0; run < layouts.size(); ++run) {
      sw::RunOptions o = checkpointed(dir, rng);
      const bool stopped = run + 1 < layouts.size();
      if (stopped) {
        o.source_rate = events;
        sw::CancelToken stop;
        o.cancel = stop;
        o.progress_interval = 5ms;
        const std::uint64_t from = sw::test::latest_complete_checkpoint(checkpoints);
        o.on_progress = [=](const sw::RunProgress&) {
          if (sw::test::latest_complete_checkpoint(checkpoints) >= from + 2) stop.cancel();
        };
      }
      const std::uint64_t restored = last.checkpoints.last_id;
      last = run_graph(build, layouts[run], dir.file("out.txt"), o);
      if (stopped) REQUIRE(last.status == sw::RunReport::Status::cancelled);
      if (run > 0) CHECK(last.checkpoints.restored_from == restored);
    }
    CHECK(last.events < events);  // the sources went on from their positions
    CHECK(sw::test::lines_of(dir.file("out.txt")) == expected);
  }
  return last;
}

struct Reading {
  std::uint32_t key = 0;
  std::int64_t time = 0;
  std::uint32_t value = 0;
};
constexpr std::uint64_t kReadings = 40'000;

// Slightly out of order (by up to 4), with a pause every 1000 readings (sessions end there).
Reading reading(std::uint64_t i) {
  return Reading{static_cast<std::uint32_t>((i * 7919) % 13),
                 static_cast<std::int64_t>(i * 3 + (i * 7) % 5 + (i / 1000) * 500),
                 static_cast<std::uint32_t>(i % 100)};
}

sw::TransformStream<Reading, Reading> readings(sw::Graph& g, unsigned p) {
  return g.source("readings", sw::generate<Reading>(kReadings, reading), {.parallelism = p})
      .with_watermarks("time", [](const Reading& r) { return r.time; }, {.out_of_orderness = 10});
}

template <class K, class V>
std::string line(const char* kind, const sw::Windowed<K, V>& w, const V& value) {
  return fmt::format("{} {} {} {} {}", kind, w.key, w.start, w.end, value);
}

}  // namespace

TEST_CASE("windows of every kind restore their windows, timers and watermark") {
  sw::test::Watchdog watchdog("window state", std::chrono::seconds(120));
  const auto build = [](sw::Graph& g, unsigned p, const std::string& out) {
    const sw::NodeOptions node{.parallelism = p};
    const auto time = [](const Reading& r) { return r.time; };
    const auto sum = sw::agg::sum<Reading>([](const Reading& r) { return r.value; });
    auto all_readings = readings(g, p);
    auto keyed = all_readings.key_by([](const Reading& r) { return r.key; });
    auto text = [](const char* kind) {
      return [kind](const auto& w) { return line(kind, w, w.value); };
    };
    auto tumbling = keyed.window("tumbling", sw::tumbling(100), time, sum, {.node = node})
                        .map("tumbling/text", text("tumbling"));
    auto sliding =
        keyed.window("sliding", sw::sliding(300, 100), time, sw::agg::count(), {.node = node})
            .map("sliding/text", text("sliding"));
    auto sessions = keyed.window("sessions", sw::session(60), time, sum, {.node = node})
                        .map("sessions/text", text("session"));
    auto counted = keyed.window("counted", sw::count_window(70), sw::agg::count(), {.node = node})
                       .map("counted/text", text("count"));
    auto process =
        keyed
            .window("process", sw::tumbling(1000), time,
                    sw::process_window<Reading>([](std::uint32_t, sw::EventTime, sw::EventTime,
                                                   std::span<const Reading> items) {
                      std::uint64_t total = 0;
                      for (const Reading& r : items) total += r.value * r.value;
                      return fmt::format("{}/{}", items.size(), total);
                    }),
                    {.node = node})
            .map("process/text", text("process"));
    auto all = all_readings.window_all("all", sw::tumbling(500), time, sw::agg::count())
                   .map("all/text", [](const auto& w) {
                     return fmt::format("all {} {} {}", w.start, w.end, w.value);
                   });
    tumbling.merge(sliding, sessions, counted, process, all).sink("out", sw::write_lines(out));
  };
  check_restores(build, kReadings);
}

namespace {

struct Order {
  std::uint32_t customer = 0;
  std::int64_t time = 0;
  std::uint32_t id = 0;
};
struct Payment {
  std::uint32_t customer = 0;
  std::int64_t time = 0;
  std::uint32_t id = 0;
};
constexpr std::uint64_t kOrders = 3000;

}  // namespace

TEST_CASE("joins restore the items they hold and their watermark") {
  sw::test::Watchdog watchdog("join state", std::chrono::seconds(120));
  const auto build = [](sw::Graph& g, unsigned p, const std::string& out) {
    const sw::NodeOptions node{.parallelism = p};
    auto orders =
        g.source("orders",
                 sw::generate<Order>(kOrders,
                                     [](std::uint64_t i) {
                                       return Order{static_cast<std::uint32_t>((i * 7919) % 200),
                                                    static_cast<std::int64_t>(i * 10),
                                                    static_cast<std::uint32_t>(i)};
                                     }),
                 node)
            .with_watermarks("orders/time", [](const Order& o) { return o.time; });
    auto payments = g.source("payments",
                             sw::generate<Payment>(
                                 kOrders,
                                 [](std::uint64_t i) {
                                   return Payment{static_cast<std::uint32_t>((i * 104729) % 200),
                                                  static_cast<std::int64_t>(i * 10 + (i % 13)),
                                                  static_cast<std::uint32_t>(i)};
                                 }),
                             node)
                        .with_watermarks("payments/time", [](const Payment& p) { return p.time; },
                                         {.out_of_orderness = 13});
    const auto customer_of_order = [](const Order& o) { return o.customer; };
    const auto customer_of_payment = [](const Payment& p) { return p.customer; };
    const auto pair = [](const char* kind) {
      return [kind](const Order& o, const Payment& p) {
        return fmt::format("{} {} {}", kind, o.id, p.id);
      };
    };
    auto regular = orders.join("regular", payments, customer_of_order, customer_of_payment,
                               pair("regular"), node);
    auto interval = orders.interval_join(
        "interval", payments, customer_of_order, customer_of_payment,
        [](const Order& o) { return o.time; }, [](const Payment& p) { return p.time; }, -500, 800,
        pair("interval"), node);
    auto windowed = orders.window_join(
        "windowed", payments, customer_of_order, customer_of_payment,
        [](const Order& o) { return o.time; }, [](const Payment& p) { return p.time; },
        sw::tumbling(2000), pair("window"), {.node = node});
    regular.merge(interval, windowed).sink("out", sw::write_lines(out));
  };
  check_restores(build, 2 * kOrders);
}

TEST_CASE("the NEXMark source goes on from its events, in any parallelism") {
  sw::test::Watchdog watchdog("nexmark source state", std::chrono::seconds(120));
  const auto build = [](sw::Graph& g, unsigned p, const std::string& out) {
    sw::nexmark::GeneratorConfig config;
    config.events = 30'000;
    g.source("events", sw::nexmark::source(config), {.parallelism = p})
        .map("text",
             [](const sw::nexmark::Event& e) {
               if (const auto* b = e.bid()) {
                 return fmt::format("bid {} {} {} {}", b->auction, b->bidder, b->price,
                                    b->date_time);
               }
               if (const auto* a = e.auction()) return fmt::format("auction {}", a->id);
               return fmt::format("person {}", e.person()->id);
             })
        .sink("out", sw::write_lines(out));
  };
  check_restores(build, 30'000);
}

TEST_CASE("a latency histogram restored holds every item of the job once") {
  sw::test::Watchdog watchdog("latency state", std::chrono::seconds(120));
  constexpr std::uint64_t kItems = 20'000;
  const auto build = [](sw::Graph& g, unsigned p, const std::string& out) {
    g.source("stamps",
             sw::generate<std::int64_t>(kItems, [](std::uint64_t) { return sw::wall_clock_ns(); }),
             {.parallelism = p})
        .measure_latency("latency", [](std::int64_t stamp) { return stamp; }, {.parallelism = p})
        .map("text", [](std::int64_t) { return std::string("x"); })
        .sink("out", sw::write_lines(out));
  };
  const sw::RunReport last = check_restores(build, kItems);
  const auto node = std::find_if(last.nodes.begin(), last.nodes.end(),
                                 [](const sw::NodeReport& n) { return n.name == "latency"; });
  REQUIRE(node != last.nodes.end());
  CHECK(node->latency.count() == kItems);
}

namespace {

// Writes `text` from byte `from` into the FIFO at `path`, `chunk` bytes every `pause`; stops
// when the reader goes away (EPIPE: SIGPIPE is ignored by the caller).
void feed(const std::string& path, const std::string& text, std::size_t from, std::size_t chunk,
          std::chrono::microseconds pause) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  for (std::size_t at = from; at < text.size();) {
    const ssize_t n = ::write(fd, text.data() + at, std::min(chunk, text.size() - at));
    if (n <= 0) break;
    at += static_cast<std::size_t>(n);
    std::this_thread::sleep_for(pause);
  }
  ::close(fd);
}

}  // namespace

TEST_CASE("a stream goes through the write-ahead log: replayed, then read on from its end") {
  sw::test::Watchdog watchdog("stream log", std::chrono::seconds(120));
  ::signal(SIGPIPE, SIG_IGN);
  std::mt19937 rng(std::random_device{}());
  sw::test::TempDir dir;
  std::string text;
  std::multiset<std::string> expected;
  for (std::uint64_t i = 0; i < 40'000; ++i) {
    expected.insert(fmt::format("line {} {}", i, (i * 7919) % 1000));
    text += fmt::format("line {} {}\n", i, (i * 7919) % 1000);
  }
  const std::string fifo = dir.file("input.fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto build = [&](unsigned p) {
    auto g = std::make_unique<sw::Graph>("stream");
    g->source("lines", sw::read_lines(fifo))
        .map("copy", [](sw::Str line) { return std::string(line.view()); }, {.parallelism = p})
        .sink("out", sw::write_lines(dir.file("out.txt")));
    return g;
  };
  sw::RunOptions o = checkpointed(dir, rng);
  sw::CancelToken stop;
  o.cancel = stop;
  o.progress_interval = 5ms;
  const std::filesystem::path checkpoints = dir.file("checkpoints");
  o.on_progress = [=](const sw::RunProgress& p) {
    if (p.events > 2000 && sw::test::complete_checkpoints(checkpoints) >= 2) stop.cancel();
  };
  std::thread slow([&] { feed(fifo, text, 0, 4096, 2ms); });
  sw::RunReport first;
  try {
    first = sw::run(*build(1 + rng() % 3), o);
  } catch (...) {
    std::ifstream{fifo};  // the feeder may wait for a reader
    slow.join();
    throw;
  }
  slow.join();
  REQUIRE(first.status == sw::RunReport::Status::cancelled);
  REQUIRE(first.checkpoints.completed >= 2);

  // What the log holds: the restarted run is given the stream from there.
  const sw::detail::StreamPosition logged =
      sw::detail::StreamLog::logged_stream_end(dir.file("checkpoints/wal/n0-i0"));
  INFO("logged up to byte " << logged.offset << " of " << text.size());
  CHECK(logged.offset > 0);
  CHECK(logged.offset < text.size());
  CHECK(text[logged.offset - 1] == '\n');
  // A cancelled run stops between appends: no torn record.
  CHECK(sw::detail::StreamLog::torn_bytes_at_end(dir.file("checkpoints/wal/n0-i0")) == 0);
  std::thread rest([&] { feed(fifo, text, logged.offset, 1 << 16, 0us); });
  sw::RunReport second;
  std::string error;
  try {
    second = sw::run(*build(1 + rng() % 3), checkpointed(dir, rng));
  } catch (const std::exception& e) {
    error = e.what();
    std::ifstream{fifo};  // the feeder may wait for a reader
  }
  rest.join();
  INFO(error);
  REQUIRE(error.empty());
  CHECK(second.checkpoints.restored_from == first.checkpoints.last_id);
  CHECK(sw::test::lines_of(dir.file("out.txt")) == expected);
}
