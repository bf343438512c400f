// Google Benchmark micro-benchmarks: the cost of a channel hop against a fused chain.
#include <benchmark/benchmark.h>

#include <streamweave/streamweave.hpp>

namespace {

constexpr std::uint64_t kItems = 2'000'000;

// source -> map -> filter -> map -> count, all fused into one task: direct calls.
void BM_FusedChain(benchmark::State& state) {
  for (auto _ : state) {
    sw::Graph g{"fused"};
    std::uint64_t n = 0;
    g.source("s", sw::generate<std::uint64_t>(kItems, [](std::uint64_t i) { return i; }),
             {.parallelism = 1})
        .map("a", [](std::uint64_t v) { return v * 3; })
        .filter("b", [](std::uint64_t v) { return v % 7 != 0; })
        .map("c", [](std::uint64_t v) { return v + 1; })
        .sink("n", sw::count(n));
    sw::run(g, {.threads = 1});
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kItems));
}
BENCHMARK(BM_FusedChain)->Unit(benchmark::kMillisecond)->UseRealTime();

// source -> count across one channel (chaining disabled), for a batch size.
void BM_ChannelHop(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    sw::Graph g{"hop"};
    std::uint64_t n = 0;
    g.source("s", sw::generate<std::uint64_t>(kItems, [](std::uint64_t i) { return i; }),
             {.parallelism = 1})
        .sink("n", sw::count(n), {.parallelism = 1, .chain = false});
    sw::run(g, {.threads = 2, .batch_size = batch});
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kItems));
}
BENCHMARK(BM_ChannelHop)->Arg(64)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
