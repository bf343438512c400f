// Where the hypervisor put two vCPUs: the round trip of one cache line between two threads
// pinned to CPU `a` and CPU `b` (docs/benchmarks.md, the distributed benchmark's two modes).
// Hyperthreads of one core share their L1 and answer in tens of nanoseconds; two cores of
// one socket take over a hundred. Prints one JSON object.
#include <pthread.h>
#include <sched.h>
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

namespace {

bool pin(unsigned cpu) noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned a = 0;
  unsigned b = 1;
  unsigned rounds = 200000;
  CLI::App app{"cpu_pair_latency: round trip of a cache line between two pinned threads"};
  app.add_option("--cpu-a", a, "the first thread's CPU")->capture_default_str();
  app.add_option("--cpu-b", b, "the second thread's CPU")->capture_default_str();
  app.add_option("--rounds", rounds, "round trips")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  alignas(64) std::atomic<unsigned> turn{0};
  bool pinned_b = false;
  std::thread other([&] {
    pinned_b = pin(b);
    for (unsigned i = 0; i < rounds; ++i) {
      while (turn.load(std::memory_order_acquire) != 1) {
      }
      turn.store(0, std::memory_order_release);
    }
  });
  const bool pinned_a = pin(a);
  const auto start = std::chrono::steady_clock::now();
  for (unsigned i = 0; i < rounds; ++i) {
    turn.store(1, std::memory_order_release);
    while (turn.load(std::memory_order_acquire) != 0) {
    }
  }
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
      rounds;
  other.join();
  if (!pinned_a || !pinned_b) {
    std::fprintf(stderr, "cpu_pair_latency: cannot pin to CPU %u and %u\n", a, b);
    return 1;
  }
  std::printf(
      "{\"bench\": \"cpu_pair_latency\", \"cpu_a\": %u, \"cpu_b\": %u, \"round_trip_ns\": %.0f}\n",
      a, b, ns);
  return 0;
}
