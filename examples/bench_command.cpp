#include "bench_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <simdjson.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

namespace sw::examples {

namespace {

struct Suite {
  const char* name;
  const char* program;
  const char* full_args;
  const char* quick_args;
};

constexpr Suite kSuites[] = {
    {"pipeline-p", "event_rate", "",
     "--events 2000000 --per-event-fg-events 100000 --repeat 1 --fanout-events 200000"},
    {"nexmark", "nexmark_rate", "", "--events 200000 --repeat 1"},
    {"serde", "serde_rate", "", "--bids 20000 --repeat 1 --pipeline-events 200000"},
};

// Where the benchmark programs are: $STREAMWEAVE_BENCH_DIR, else next to this executable.
std::filesystem::path find_program(const char* program) {
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("STREAMWEAVE_BENCH_DIR")) dirs.emplace_back(env);
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    dirs.push_back(self.parent_path().parent_path() / "bench");                    // build tree
    dirs.push_back(self.parent_path().parent_path() / "libexec" / "streamweave");  // installed
  }
  for (const auto& dir : dirs) {
    const auto path = dir / program;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return {};
}

std::string text_of(simdjson::dom::element value) {
  if (value.is_string()) return std::string(value.get_string().value());
  if (value.is_bool()) return value.get_bool().value() ? "true" : "false";
  if (value.is_double()) return fmt::format("{:.4g}", value.get_double().value());
  if (value.is_int64()) return fmt::format("{}", value.get_int64().value());
  if (value.is_uint64()) return fmt::format("{}", value.get_uint64().value());
  return simdjson::to_string(value);
}

// Prints one result line of a program; returns false for a checked figure that is short.
bool print_result(const simdjson::dom::element& result) {
  std::string name;
  if (auto n = result["name"]; n.error() == simdjson::SUCCESS) name = text_of(n.value());
  if (auto q = result["query"]; q.error() == simdjson::SUCCESS) name = text_of(q.value());
  if (auto target = result["target"]; target.error() == simdjson::SUCCESS) {
    const bool met = result["met"].error() == simdjson::SUCCESS && result["met"].get_bool().value();
    std::cout << fmt::format("  {:<46} {:>10}  target {:<8} {}\n", name,
                             text_of(result["value"].value()), text_of(target.value()),
                             met ? "PASS" : "SHORT");
    return met;
  }
  for (const char* rate : {"events_per_s", "events_per_second"}) {
    if (auto r = result[rate]; r.error() == simdjson::SUCCESS) {
      const double per_s =
          r.is_double() ? r.get_double().value() : static_cast<double>(r.get_int64().value());
      std::cout << fmt::format("  {:<46} {:>10.2f} M events/s\n", name, per_s / 1e6);
      return true;
    }
  }
  return true;
}

}  // namespace

const char* bench_suites_help() {
  return "pipeline-p, nexmark, serde or all";
}

int run_bench(const BenchSettings& settings) {
  std::vector<std::string> results;  // JSON objects, with their suite
  int status = 0;
  std::size_t checked = 0;
  std::size_t short_of_target = 0;
  simdjson::dom::parser parser;
  for (const Suite& suite : kSuites) {
    if (settings.suite != "all" && settings.suite != suite.name) continue;
    const auto program = find_program(suite.program);
    if (program.empty()) {
      std::cerr << "streamweave bench: the benchmark program '" << suite.program
                << "' is not built (cmake --build --preset release builds bench/; or set "
                   "STREAMWEAVE_BENCH_DIR)\n";
      status = 1;
      continue;
    }
    const std::string command = program.string() + " " +
                                (settings.quick ? suite.quick_args : suite.full_args) +
                                " 2>/dev/null";
    std::cout << "suite " << suite.name << ": " << command << "\n";
    std::cout.flush();
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
      std::cerr << "streamweave bench: cannot run " << command << "\n";
      status = 1;
      continue;
    }
    std::string line;
    char chunk[4096];
    auto take_line = [&] {
      if (!line.empty() && line.back() == '\n') line.pop_back();
      if (line.empty() || line.front() != '{') return;  // prose around the figures
      simdjson::dom::element result;
      if (parser.parse(line).get(result) != simdjson::SUCCESS) return;
      if (result["target"].error() == simdjson::SUCCESS) {
        ++checked;
        if (!print_result(result)) ++short_of_target;
      } else {
        print_result(result);
      }
      results.push_back(fmt::format("{{\"suite\": \"{}\", {}", suite.name, line.substr(1)));
    };
    while (std::fgets(chunk, sizeof chunk, pipe) != nullptr) {
      line += chunk;
      if (line.back() == '\n') {
        take_line();
        line.clear();
      }
    }
    take_line();
    if (const int rc = ::pclose(pipe); rc != 0) {
      std::cerr << "streamweave bench: " << suite.program << " failed (status " << rc << ")\n";
      status = 1;
    }
  }
  std::cout << fmt::format("{} checked figures: {} pass, {} short of target\n", checked,
                           checked - short_of_target, short_of_target);
  if (!settings.json.empty()) {
    std::ofstream out(settings.json);
    out << "[\n";
    for (std::size_t i = 0; i < results.size(); ++i) {
      out << "  " << results[i] << (i + 1 < results.size() ? ",\n" : "\n");
    }
    out << "]\n";
    if (!out) {
      std::cerr << "streamweave bench: cannot write " << settings.json << "\n";
      status = 1;
    }
  }
  return status;
}

}  // namespace sw::examples
