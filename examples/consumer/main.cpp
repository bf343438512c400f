// The smallest program against an installed StreamWeave: sum of the squares of 1..1000 that
// are even, on two threads. Prints "sum 167167000" (checked by the package test).
#include <cstdint>
#include <iostream>
#include <streamweave/streamweave.hpp>

int main() {
  sw::Graph g{"consumer"};
  std::int64_t sum = 0;
  g.source("numbers", sw::generate<std::int64_t>(
                          1000, [](std::uint64_t i) { return static_cast<std::int64_t>(i + 1); }))
      .map("square", [](std::int64_t x) { return x * x; })
      .filter("even", [](std::int64_t x) { return x % 2 == 0; })
      .sink("sum", sw::for_each([&sum](std::int64_t x) { sum += x; }), {.parallelism = 1});
  const sw::RunReport report = sw::run(g, {.threads = 2});
  std::cout << "sum " << sum << " (" << report.events << " events)\n";
  return sum == 167167000 ? 0 : 1;
}
