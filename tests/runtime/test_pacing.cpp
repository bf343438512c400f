// RunOptions::source_rate (sources paced by timers), live sources that have nothing now
// (SourceBase::nothing_until), and RunOptions::on_progress.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <streamweave/streamweave.hpp>
#include <thread>
#include <vector>

#include "support/watchdog.hpp"

TEST_CASE("source_rate: sources emit no faster than the rate, and everything arrives") {
  sw::test::Watchdog watchdog("source_rate", std::chrono::seconds(60));
  for (const unsigned parallelism : {1U, 3U}) {
    sw::Graph g{"paced"};
    std::uint64_t n = 0;
    g.source("numbers",
             sw::generate<int>(2000, [](std::uint64_t i) { return static_cast<int>(i); }),
             {.parallelism = parallelism})
        .sink("n", sw::count(n));
    sw::RunOptions options;
    options.threads = 2;
    options.source_rate = 4000;  // 2000 items: at least half a second
    const auto start = std::chrono::steady_clock::now();
    const sw::RunReport report = sw::run(g, options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(n == 2000);
    CHECK(seconds >= 0.45);  // a lower bound only: a slow machine makes it longer, never shorter
    CHECK(report.node("numbers").busy_seconds < seconds * parallelism);  // timers, not spinning
  }
}

namespace {

// A live source: item k is there from `start + k * every` on; before that it has nothing and
// says until when. Counts how often it is asked.
class ArrivingSource final : public sw::SourceBase<int> {
 public:
  ArrivingSource(const sw::InstanceContext& ctx, int items, std::chrono::milliseconds every,
                 std::shared_ptr<std::atomic<int>> asked)
      : SourceBase<int>(ctx), items_(items), every_(every), asked_(std::move(asked)) {}

 protected:
  bool on_produce(std::size_t max_items) override {
    asked_->fetch_add(1);
    const auto now = sw::Clock::now();
    if (!start_) start_ = now;
    for (std::size_t made = 0; next_ < items_ && made < max_items; ++made) {
      const auto due = *start_ + next_ * every_;
      if (due > now) {
        nothing_until(due);
        return true;
      }
      emit(next_++);
    }
    return next_ < items_;
  }

 private:
  int items_;
  std::chrono::milliseconds every_;
  std::shared_ptr<std::atomic<int>> asked_;
  std::optional<sw::Clock::time_point> start_;
  int next_ = 0;
};

struct Arriving {
  using value_type = int;
  static constexpr const char* op_name = "arriving";
  int items;
  std::chrono::milliseconds every;
  std::shared_ptr<std::atomic<int>> asked;
  [[nodiscard]] std::unique_ptr<sw::OperatorInstance> instantiate(
      const sw::InstanceContext& ctx) const {
    return std::make_unique<ArrivingSource>(ctx, items, every, asked);
  }
};

}  // namespace

TEST_CASE("A live source with nothing now sleeps until it has instead of spinning") {
  sw::test::Watchdog watchdog("quiet source", std::chrono::seconds(60));
  auto asked = std::make_shared<std::atomic<int>>(0);
  sw::Graph g{"arriving"};
  std::vector<int> seen;
  g.source("arriving", Arriving{10, std::chrono::milliseconds(25), asked}, {.parallelism = 1})
      .sink("seen", sw::for_each([&seen](int k) { seen.push_back(k); }), {.chain = false});
  const auto start = std::chrono::steady_clock::now();
  const sw::RunReport report = sw::run(g, {.threads = 2});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(seen == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(seconds >= 0.2);  // item 9 is due after 225 ms
  // Once per item and a few more: a source asked again at once would be asked thousands of
  // times in 225 ms.
  CHECK(asked->load() >= 10);
  CHECK(asked->load() <= 40);
  CHECK(report.node("arriving").busy_seconds < 0.1);
}

TEST_CASE("on_progress: called while the graph runs, events rising to the total") {
  sw::test::Watchdog watchdog("on_progress", std::chrono::seconds(60));
  sw::Graph g{"progress"};
  std::uint64_t n = 0;
  g.source("numbers", sw::generate<int>(3000, [](std::uint64_t i) { return static_cast<int>(i); }))
      .sink("n", sw::count(n));
  std::vector<sw::RunProgress> seen;
  sw::RunOptions options;
  options.threads = 2;
  options.source_rate = 6000;  // about half a second
  options.progress_interval = std::chrono::milliseconds(50);
  options.on_progress = [&seen](const sw::RunProgress& p) { seen.push_back(p); };
  sw::run(g, options);
  CHECK(n == 3000);
  REQUIRE(seen.size() >= 3);
  for (std::size_t i = 1; i < seen.size(); ++i) {
    CHECK(seen[i].events >= seen[i - 1].events);
    CHECK(seen[i].elapsed_seconds > seen[i - 1].elapsed_seconds);
  }
  CHECK(seen.back().events <= 3000);
  CHECK(seen.back().events > 0);
  // A paced source and a fast sink wait for the clock, not for room: hardly ever blocked.
  CHECK(seen.back().blocked_share < 0.2);
}

TEST_CASE("on_progress: a slow sink shows as the source's share of time blocked") {
  sw::test::Watchdog watchdog("on_progress blocked", std::chrono::seconds(60));
  sw::Graph g{"blocked"};
  g.source("numbers", sw::generate<int>(600, [](std::uint64_t i) { return static_cast<int>(i); }),
           {.parallelism = 1, .batch_size = 4, .channel_capacity = 1})
      .sink("slow",
            sw::for_each([](int) { std::this_thread::sleep_for(std::chrono::milliseconds(1)); }),
            {.parallelism = 1, .channel_capacity = 1, .chain = false});
  std::vector<sw::RunProgress> seen;
  sw::RunOptions options;
  options.threads = 2;
  options.progress_interval = std::chrono::milliseconds(50);
  options.on_progress = [&seen](const sw::RunProgress& p) { seen.push_back(p); };
  sw::run(g, options);
  REQUIRE(seen.size() >= 3);
  // Two tasks: the source parked on a full channel nearly all the time, the sink never.
  CHECK(seen.back().blocked_share > 0.25);
  CHECK(seen.back().blocked_share <= 0.5);
}

TEST_CASE("on_progress: a callback that throws fails the run, cleanly") {
  sw::test::Watchdog watchdog("on_progress throws", std::chrono::seconds(60));
  sw::Graph g{"progress"};
  g.source("numbers",
           sw::generate<int>(sw::unbounded, [](std::uint64_t i) { return static_cast<int>(i); }))
      .sink("d", sw::discard());
  sw::RunOptions options;
  options.threads = 2;
  options.progress_interval = std::chrono::milliseconds(20);
  options.on_progress = [](const sw::RunProgress&) { throw std::runtime_error("display gone"); };
  CHECK_THROWS_WITH(sw::run(g, options), Catch::Contains("display gone"));
}
