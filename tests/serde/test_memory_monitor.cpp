#include <catch2/catch.hpp>
#include <cstdlib>
#include <streamweave/serde/bytes.hpp>
#include <streamweave/serde/memory_monitor.hpp>

TEST_CASE("Pressure levels follow the thresholds", "[serde][memory]") {
  sw::BufferPool pool;
  sw::MemoryLimits limits;
  limits.high_rss_bytes = 1000;
  limits.critical_rss_bytes = 2000;
  limits.high_pool_bytes = 500;
  const sw::MemoryMonitor monitor(pool, limits);
  REQUIRE(monitor.level_for(999, 0) == sw::MemoryPressure::normal);
  REQUIRE(monitor.level_for(1000, 0) == sw::MemoryPressure::high);
  REQUIRE(monitor.level_for(10, 500) == sw::MemoryPressure::high);
  REQUIRE(monitor.level_for(2000, 0) == sw::MemoryPressure::critical);
  REQUIRE(sw::to_string(sw::MemoryPressure::critical) == "critical");
}

TEST_CASE("Defaults come from physical memory, the RSS is measured", "[serde][memory]") {
  sw::BufferPool pool;
  const sw::MemoryMonitor monitor(pool, {});
  REQUIRE(sw::physical_memory_bytes() > 0);
  REQUIRE(monitor.limits().high_rss_bytes == sw::physical_memory_bytes() / 4 * 3);
  REQUIRE(monitor.limits().critical_rss_bytes > monitor.limits().high_rss_bytes);
  REQUIRE(sw::process_rss_bytes() > 0);
}

TEST_CASE("Under pressure the monitor trims what the pool keeps", "[serde][memory]") {
  sw::BufferPool pool;
  {
    std::vector<sw::Bytes> held;
    for (int i = 0; i < 20; ++i) held.push_back(sw::Bytes::copy_of(std::string(3000, 'x'), pool));
  }
  REQUIRE(pool.stats().retained_bytes > 0);

  sw::MemoryLimits relaxed;
  relaxed.high_rss_bytes = std::size_t(1) << 60;
  relaxed.critical_rss_bytes = std::size_t(1) << 61;
  sw::MemoryMonitor calm(pool, relaxed);
  REQUIRE(calm.sample() == sw::MemoryPressure::normal);
  REQUIRE(pool.stats().retained_bytes > 0);
  REQUIRE(calm.peak_rss_bytes() > 0);

  sw::MemoryLimits tight = relaxed;
  tight.high_pool_bytes = 1;
  sw::MemoryMonitor pressed(pool, tight);
  REQUIRE(pressed.sample() == sw::MemoryPressure::high);
  REQUIRE(pressed.worst() == sw::MemoryPressure::high);
  REQUIRE(pressed.trims() == 1);
  REQUIRE(pool.stats().retained_bytes == 0);
}

TEST_CASE("Memory thresholds are read from the environment", "[serde][memory]") {
  ::setenv("STREAMWEAVE_MEMORY_HIGH_POOL_BYTES", "4096", 1);
  REQUIRE(sw::MemoryLimits::from_env().high_pool_bytes == 4096);
  ::setenv("STREAMWEAVE_MEMORY_HIGH_POOL_BYTES", "-1", 1);
  REQUIRE_THROWS_WITH(sw::MemoryLimits::from_env(),
                      Catch::Contains("STREAMWEAVE_MEMORY_HIGH_POOL_BYTES='-1'"));
  ::unsetenv("STREAMWEAVE_MEMORY_HIGH_POOL_BYTES");
  ::setenv("STREAMWEAVE_MEMORY_CRITICAL_PAUSE_LIMIT_MS", "2500", 1);
  REQUIRE(sw::MemoryLimits::from_env().critical_pause_limit_ms == 2500);
  ::unsetenv("STREAMWEAVE_MEMORY_CRITICAL_PAUSE_LIMIT_MS");
  REQUIRE(sw::MemoryLimits::from_env().critical_pause_limit_ms == 0);
  sw::BufferPool pool;
  REQUIRE(sw::MemoryMonitor(pool, sw::MemoryLimits{}).limits().critical_pause_limit_ms == 60'000);
}
