// The `streamweave` command: list, run and draw the sample pipelines.
// Exit codes: 0 success, 1 the pipeline failed, 2 usage error.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <streamweave/streamweave.hpp>

#include "pipelines.hpp"

namespace {

int unknown_pipeline(const std::string& name) {
  std::cerr << "streamweave: unknown pipeline '" << name << "'";
  const auto nearest = sw::examples::nearest_pipelines(name);
  if (!nearest.empty()) std::cerr << "; did you mean '" << nearest.front() << "'?";
  std::cerr << " (streamweave list shows them all)\n";
  return 2;
}

std::string report_json(const sw::RunReport& r) {
  std::string nodes;
  for (const sw::NodeReport& n : r.nodes) {
    if (!nodes.empty()) nodes += ", ";
    nodes += fmt::format(
        R"({{"name": "{}", "op": "{}", "parallelism": {}, "items_in": {}, "items_out": {}, "batches_in": {}, "batches_out": {}, "busy_seconds": {:.6f}, "blocked_seconds": {:.6f}, "errors_skipped": {}, "dead_lettered": {}}})",
        n.name, n.op, n.parallelism, n.items_in, n.items_out, n.batches_in, n.batches_out,
        n.busy_seconds, n.blocked_seconds, n.errors_skipped, n.dead_lettered);
  }
  return fmt::format(
      R"({{"graph": "{}", "status": "{}", "threads": {}, "tasks": {}, "events": {}, "wall_seconds": {:.6f}, "events_per_second": {:.0f}, "batch_reuse_rate": {:.6f}, "nodes": [{}]}})",
      r.graph, r.status == sw::RunReport::Status::completed ? "completed" : "cancelled", r.threads,
      r.tasks, r.events, r.wall_seconds, r.events_per_second, r.batch_reuse_rate(), nodes);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"streamweave: run StreamWeave's sample pipelines"};
  app.require_subcommand(1);

  app.add_subcommand("list", "list the sample pipelines, one per line");

  std::string run_name;
  sw::examples::PipelineConfig config;
  sw::RunOptions options;
  std::string metrics_json;
  CLI::App* run =
      app.add_subcommand("run", "run a sample pipeline and print what it computed and how fast");
  run->add_option("pipeline", run_name, "the pipeline (see `streamweave list`)")->required();
  run->add_option("--events", config.events, "events the source generates")->capture_default_str();
  run->add_option("--threads", options.threads, "worker threads (0: one per hardware thread)")
      ->capture_default_str();
  run->add_option("--batch", options.batch_size, "items per batch")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  run->add_option("--metrics-json", metrics_json, "also write the run report as JSON to this file");

  std::string graph_name;
  CLI::App* graph = app.add_subcommand("graph", "print a sample pipeline's graph as Graphviz DOT");
  graph->add_option("pipeline", graph_name, "the pipeline (see `streamweave list`)")->required();
  graph->add_option("--threads", options.threads,
                    "threads to plan for (parallelism, fused chains)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (app.got_subcommand("list")) {
    for (const auto& p : sw::examples::pipelines())
      std::cout << fmt::format("{:<10} {}\n", p.name, p.description);
    return 0;
  }
  const std::string& name = app.got_subcommand("run") ? run_name : graph_name;
  const sw::examples::Pipeline* pipeline = sw::examples::find_pipeline(name);
  if (pipeline == nullptr) return unknown_pipeline(name);

  try {
    sw::Graph g{pipeline->name};
    auto print_results = pipeline->build(g, config);
    if (app.got_subcommand("graph")) {
      std::cout << g.to_dot(options);
      return 0;
    }
    const sw::RunReport report = g.run(options);
    print_results(std::cout);
    std::cout << '\n' << report.summary();
    if (!metrics_json.empty()) {
      std::ofstream out(metrics_json);
      out << report_json(report) << '\n';
      if (!out) {
        std::cerr << "streamweave: cannot write " << metrics_json << '\n';
        return 1;
      }
    }
    return 0;
  } catch (const sw::GraphError& e) {
    std::cerr << "streamweave: invalid graph: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "streamweave: pipeline '" << name << "' failed: " << e.what() << '\n';
    return 1;
  }
}
