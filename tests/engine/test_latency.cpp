#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <streamweave/engine/latency.hpp>
#include <vector>

TEST_CASE("LatencyHistogram: percentiles within 3 % of the exact ones") {
  std::mt19937_64 random(3);
  std::lognormal_distribution<double> latency(13.0, 1.5);  // around 0.5 ms, a long tail
  sw::LatencyHistogram h;
  std::vector<std::int64_t> values;
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<std::int64_t>(latency(random));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  CHECK(h.count() == values.size());
  CHECK(h.max_ns == values.back());
  for (const double p : {1.0, 50.0, 90.0, 99.0, 99.9}) {
    const auto exact = values[static_cast<std::size_t>(std::ceil(p / 100 * values.size())) - 1];
    INFO("p" << p << ": exact " << exact << ", histogram " << h.percentile(p));
    CHECK(std::abs(static_cast<double>(h.percentile(p) - exact)) <=
          0.032 * static_cast<double>(exact) + 1);
  }
  CHECK(h.percentile(100) == values.back());
}

TEST_CASE("LatencyHistogram: small values exact, negatives as 0, merge, empty") {
  sw::LatencyHistogram a;
  CHECK(a.count() == 0);
  CHECK(a.percentile(99) == 0);
  for (std::int64_t v = 0; v < 64; ++v) a.record(v);
  CHECK(a.percentile(50) == 31);
  a.record(-5);
  CHECK(a.negative == 1);
  sw::LatencyHistogram b;
  b.record(1'000'000'000);
  a.merge(b);
  CHECK(a.count() == 66);
  CHECK(a.max_ns == 1'000'000'000);
  CHECK(std::abs(a.percentile(100) - 1'000'000'000) <= 1'000'000'000 / 32);
  a.merge(sw::LatencyHistogram{});
  CHECK(a.count() == 66);
}
