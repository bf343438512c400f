// The executor's batches take their storage from a BufferPool, which the report describes.
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include "support/watchdog.hpp"

TEST_CASE("a steady pipeline reuses its pooled batch storage") {
  sw::test::Watchdog watchdog("pool reuse");
  sw::Graph g{"steady"};
  std::uint64_t total = 0;
  g.source("numbers", sw::generate<std::uint64_t>(2'000'000, [](std::uint64_t i) { return i; }))
      .map("double", [](std::uint64_t x) { return x * 2; }, {.chain = false})
      .sink("count", sw::count(total));
  sw::BufferPoolOptions own;
  own.max_retained_bytes = 32u << 20;
  const sw::RunReport r = sw::run(g, {.threads = 2, .batch_size = 512, .buffer_pool = own});
  REQUIRE(total == 2'000'000);
  // Every batch's storage came from the run's pool and went back to it.
  REQUIRE(r.buffer_pool.acquired >= 2'000'000 / 512);  // map works in place: one per batch
  // New buffers only while the pipeline fills (channel capacity 16, a few per task), then
  // reuse: the count does not grow with the number of events.
  REQUIRE(r.buffer_pool.created <= 128);
  REQUIRE(r.buffer_pool.reuse_rate() >= 0.95);
  REQUIRE(r.buffer_pool.outstanding_bytes == 0);
  REQUIRE(r.buffer_pool.retained_bytes <= own.max_retained_bytes);
  REQUIRE(r.memory_pressure == sw::MemoryPressure::normal);
  REQUIRE(r.peak_rss_bytes > 0);
  REQUIRE_THAT(r.summary(), Catch::Contains("buffer pool reuse 9"));
}

TEST_CASE("memory pressure during a run is reported and trims the pool") {
  sw::test::Watchdog watchdog("pressure");
  sw::Graph g{"pressed"};
  std::uint64_t total = 0;
  g.source("numbers", sw::generate<std::uint64_t>(3'000'000, [](std::uint64_t i) { return i; }))
      .map("double", [](std::uint64_t x) { return x * 2; }, {.chain = false})
      .sink("count", sw::count(total));
  sw::MemoryLimits limits;
  limits.high_pool_bytes = 1;  // any pooled byte is too many
  const sw::RunReport r =
      sw::run(g, {.threads = 2, .buffer_pool = sw::BufferPoolOptions{}, .memory = limits});
  REQUIRE(total == 3'000'000);  // pressure costs reuse, never data
  REQUIRE(r.memory_pressure == sw::MemoryPressure::high);
  REQUIRE_THAT(r.summary(), Catch::Contains("memory high"));
}
