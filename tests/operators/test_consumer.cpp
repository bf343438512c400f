#include <catch2/catch.hpp>
#include <mutex>
#include <streamweave/streamweave.hpp>

namespace {

// Sums locally per instance and publishes the sum at finish().
struct Summer {
  std::mutex* mutex;
  long* total;
  int* finishes;
  long local = 0;
  void consume(const int& v) { local += v; }
  void finish() {
    std::lock_guard lock(*mutex);
    *total += local;
    ++*finishes;
  }
};

}  // namespace

TEST_CASE("a class-based consumer gets every item and finish() once per instance") {
  sw::Graph g{"consumer"};
  std::mutex mutex;
  long total = 0;
  int finishes = 0;
  g.source("s", sw::generate<int>(1000, [](std::uint64_t i) { return static_cast<int>(i); }),
           {.parallelism = 2})
      .sink("sum", sw::consumer(Summer{&mutex, &total, &finishes}), {.parallelism = 3});
  sw::run(g, {.threads = 2});
  CHECK(total == 999 * 1000 / 2);
  CHECK(finishes == 3);
}
