// `streamweave bench`: runs the benchmark programs of bench/ (found next to the tool: the
// build tree's bench/ or the install's libexec/streamweave/) and prints each figure, and each
// checked ratio next to its target, marked PASS or SHORT.
#pragma once

#include <string>

namespace sw::examples {

struct BenchSettings {
  std::string suite = "all";  // pipeline-p | nexmark | serde | all
  std::string json;           // also write every result as a JSON array here
  bool quick = false;         // small event counts: to see that it works, not to measure
};

// The suites' names, for --help and checks.
const char* bench_suites_help();

// Runs the suites; returns the exit code (0: every program ran, whatever the figures; 1: a
// program failed or is missing).
int run_bench(const BenchSettings& settings);

}  // namespace sw::examples
