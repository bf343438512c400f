// The `streamweave` command: list, run and draw the sample pipelines; run the benchmarks.
// Exit codes: 0 success, 1 the pipeline failed, 2 usage error.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <fmt/ranges.h>

#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <streamweave/operators/nexmark/generator.hpp>
#include <streamweave/streamweave.hpp>
#include <system_error>

#include "bench_command.hpp"
#include "checkpoints_command.hpp"
#include "pipelines.hpp"
#include "sample_file.hpp"
#include "stop_signals.hpp"

namespace {

// More workers than this is a mistake on any machine we know of: each channel keeps a
// producer token per producing instance, so start-up grows with the square of the count.
constexpr double kMaxCliThreads = 256;

int unknown_pipeline(const std::string& name) {
  std::cerr << "streamweave: unknown pipeline '" << name << "'";
  const auto nearest = sw::examples::nearest_pipelines(name);
  if (!nearest.empty()) std::cerr << "; did you mean '" << nearest.front() << "'?";
  std::cerr << " (streamweave list shows them all)\n";
  return 2;
}

// ', "latency_ms": {...}' for a node that measured latency, else "".
std::string latency_json(const sw::LatencyHistogram& h) {
  if (h.counts.empty()) return {};
  const auto ms = [](std::int64_t ns) { return static_cast<double>(ns) / 1e6; };
  return fmt::format(
      R"(, "latency_ms": {{"items": {}, "p50": {:.6f}, "p99": {:.6f}, "p999": {:.6f}, "max": {:.6f}}})",
      h.count(), ms(h.percentile(50)), ms(h.percentile(99)), ms(h.percentile(99.9)), ms(h.max_ns));
}

std::string report_json(const sw::RunReport& r) {
  std::string nodes;
  for (const sw::NodeReport& n : r.nodes) {
    if (!nodes.empty()) nodes += ", ";
    std::string counters;
    sw::for_each_counter(n, [&](const char* name, std::uint64_t value) {
      counters += fmt::format(R"(, "{}": {})", name, value);
    });
    nodes += fmt::format(
        R"({{"name": "{}", "op": "{}", "parallelism": {}, "ranks": [{}]{}, "busy_seconds": {:.6f}, "blocked_seconds": {:.6f}{}}})",
        n.name, n.op, n.parallelism, fmt::join(n.ranks, ", "), counters, n.busy_seconds,
        n.blocked_seconds, latency_json(n.latency));
  }
  std::string edges;
  for (const sw::EdgeReport& e : r.edges) {
    if (!edges.empty()) edges += ", ";
    edges += fmt::format(
        R"({{"from": "{}", "to": "{}", "partitioning": "{}", "frames_sent": {}, "bytes_sent": {}, "remote_frames_sent": {}, "frames_received": {}, "bytes_received": {}, "encode_seconds": {:.6f}, "decode_seconds": {:.6f}, "credit_stalls": {}, "peak_frames_in_flight": {}}})",
        e.from, e.to, e.partitioning, e.frames_sent, e.bytes_sent, e.remote_frames_sent,
        e.frames_received, e.bytes_received, e.encode_seconds, e.decode_seconds, e.credit_stalls,
        e.peak_frames_in_flight);
  }
  return fmt::format(
      R"({{"graph": "{}", "status": "{}", "mode": "{}", "ranks": {}, "threads": {}, "tasks": {}, "events": {}, "wall_seconds": {:.6f}, "events_per_second": {:.0f}, "batch_reuse_rate": {:.6f}, "buffer_pool_reuse_rate": {:.6f}, "peak_rss_bytes": {}, "nodes": [{}], "edges": [{}]}})",
      r.graph, r.status == sw::RunReport::Status::completed ? "completed" : "cancelled", r.mode,
      r.ranks, r.threads, r.tasks, r.events, r.wall_seconds, r.events_per_second,
      r.batch_reuse_rate(), r.buffer_pool.reuse_rate(), r.peak_rss_bytes, nodes, edges);
}

// After a usage error: for each --option the subcommand does not know, the nearest it does.
void suggest_options(CLI::App& app, int argc, char** argv) {
  if (argc < 2) return;
  CLI::App* sub = nullptr;
  try {
    sub = app.get_subcommand(argv[1]);
  } catch (const CLI::OptionNotFound&) {
    return;
  }
  std::vector<std::string> known;
  for (const CLI::Option* option : sub->get_options()) {
    for (const std::string& name : option->get_lnames()) known.push_back("--" + name);
  }
  for (int i = 2; i < argc; ++i) {
    std::string word = argv[i];
    if (word.rfind("--", 0) != 0) continue;
    word = word.substr(0, word.find('='));
    if (std::find(known.begin(), known.end(), word) != known.end()) continue;
    const auto nearest = sw::examples::nearest(word, known);
    if (!nearest.empty()) {
      std::cerr << "streamweave " << argv[1] << ": no option " << word << "; did you mean "
                << nearest.front() << "? (streamweave " << argv[1] << " --help lists them)\n";
    }
  }
}

// Writes `dot` rendered as SVG to stdout through Graphviz's `dot`. Returns the exit code.
int render_svg(const std::string& dot) {
  if (std::system("command -v dot >/dev/null 2>&1") != 0) {
    std::cerr << "streamweave: --format svg needs Graphviz's dot, which is not installed "
                 "(apt-get install graphviz; or use --format dot)\n";
    return 1;
  }
  std::fflush(stdout);
  FILE* pipe = ::popen("dot -Tsvg", "w");
  if (pipe == nullptr) {
    std::cerr << "streamweave: cannot start dot\n";
    return 1;
  }
  std::fwrite(dot.data(), 1, dot.size(), pipe);
  if (::pclose(pipe) != 0) {
    std::cerr << "streamweave: dot failed to render the graph\n";
    return 1;
  }
  return 0;
}

// A number option's check: a finite number in [min, max] (CLI11's own checks let "nan" through
// and print their ranges with 300 digits; an unsigned option would take "-1" as 2^64 - 1).
CLI::Validator number_in(double min, double max) {
  const std::string range = fmt::format("[{}, {}]", min, max);
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size()) return text + " is not a number";
        if (!std::isfinite(value) || value < min || value > max) {
          return text + " is not in " + range;
        }
        return {};
      },
      "in " + range);
}

// A server the logs pipeline reads or writes (Redis, PostgreSQL), not a file.
bool is_connector_uri(const std::string& text) {
  return text.starts_with("redis://") || text.starts_with("postgresql://") ||
         text.starts_with("postgres://");
}

// A URI of `scheme`, checked as its connector checks it (the server or port is reached at run
// time).
template <class Check>
CLI::Validator uri_of(std::string scheme, Check check) {
  return CLI::Validator(
      [scheme, check](std::string& text) -> std::string {
        if (!text.starts_with(scheme)) return text + " is not a " + scheme + " URI";
        try {
          check(text);
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
        return {};
      },
      "URI");
}

// A duration option: a number with a unit, "250ms", "1s", "2m" (0 alone: zero).
CLI::Validator duration_into(std::chrono::milliseconds& into) {
  return CLI::Validator(
      [&into](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        const std::string unit(end);
        const double scale = unit == "ms" ? 1 : unit == "s" ? 1e3 : unit == "m" ? 6e4 : -1;
        if (text.empty() || end == text.c_str() || (scale < 0 && !(unit.empty() && value == 0)) ||
            !std::isfinite(value) || value < 0 || value * scale > 8.64e7) {
          return text + " is not a duration such as 250ms, 1s or 2m (at most a day)";
        }
        into = std::chrono::milliseconds(static_cast<std::int64_t>(value * std::max(scale, 0.0)));
        return {};
      },
      "DURATION");
}

// An alignment timeout: a duration, or "never" (checkpoints stay aligned).
CLI::Validator alignment_timeout_into(std::optional<std::chrono::milliseconds>& into) {
  return CLI::Validator(
      [&into](std::string& text) -> std::string {
        if (text == "never") {
          into.reset();
          return {};
        }
        std::chrono::milliseconds value{};
        std::string copy = text;
        std::string error = duration_into(value)(copy);
        if (!error.empty()) return text + " is not a duration such as 0, 100ms or 1s, nor never";
        into = value;
        return {};
      },
      "DURATION|never");
}

// Adds `run`'s checkpoint options into `checkpoints`.
void add_checkpoint_options(CLI::App& run, sw::CheckpointOptions& checkpoints,
                            std::string& directory, std::string& interval, std::string& timeout,
                            std::uint64_t& restore) {
  run.add_option("--checkpoint-dir", directory,
                 "take checkpoints into this directory, and start from the latest complete one "
                 "there (docs/fault_tolerance.md); output files are then committed exactly once. "
                 "With --mode distributed, a directory every rank sees");
  run.add_option("--checkpoint-interval", interval,
                 "time from the end of one checkpoint to the start of the next (0: only the "
                 "final one)")
      ->check(duration_into(checkpoints.interval))
      ->default_str("1s");
  run.add_option("--checkpoints-kept", checkpoints.retained, "complete checkpoints kept on disk")
      ->capture_default_str()
      ->check(number_in(1, 1000));
  CLI::Option* restore_option =
      run.add_option("--restore", restore, "start from this checkpoint instead of the latest")
          ->check(number_in(1, 1e18));
  run.add_flag("--fresh", checkpoints.fresh,
               "start afresh, ignoring the checkpoints in --checkpoint-dir")
      ->excludes(restore_option);
  run.add_flag("--savepoint-on-exit", checkpoints.savepoint_on_stop,
               "when stopped by SIGINT or SIGTERM, take a checkpoint (savepoint) and commit the "
               "output up to it before exiting; a restart goes on from there");
  run.add_option("--checkpoint-timeout", timeout,
                 "a checkpoint not complete after this long fails (the run goes on)")
      ->check(duration_into(checkpoints.timeout))
      ->default_str("10m");
  run.add_option_function<std::string>(
         "--alignment-timeout", [](const std::string&) {},
         "a task with several inputs that waits this long to align a checkpoint's barriers "
         "passes it unaligned, saving the batches in flight (0: at once; never: always aligned)")
      ->check(alignment_timeout_into(checkpoints.alignment_timeout))
      ->default_str("1s");
}

// "2.5 s behind", "3.1 d behind": how far event time is behind the wall clock (NEXMark's
// generator starts in 2015, so its lag is in years), or ahead of it.
std::string behind(double seconds) {
  const double size = std::abs(seconds);
  const auto [amount, unit] = size < 120      ? std::pair{size, "s"}
                              : size < 7200   ? std::pair{size / 60, "min"}
                              : size < 172800 ? std::pair{size / 3600, "h"}
                              : size < 6.3e7  ? std::pair{size / 86400, "d"}
                                              : std::pair{size / 3.15576e7, "years"};
  return fmt::format("{:.1f} {} {}", amount, unit, seconds >= 0 ? "behind" : "ahead");
}

// One line on stderr, rewritten in place: events, rate, elapsed, share of time blocked, and
// when known the watermark's lag and the last checkpoint.
void print_progress(const sw::RunProgress& p) {
  std::string line =
      fmt::format("\r\033[K{:>14} events | {:>8.3f} M events/s | {:>7.1f} s | blocked {:>5.1f} %",
                  p.events, p.events_per_second / 1e6, p.elapsed_seconds, 100.0 * p.blocked_share);
  if (p.watermark_lag_seconds) line += " | watermark " + behind(*p.watermark_lag_seconds);
  if (p.last_checkpoint != 0) {
    line += fmt::format(" | checkpoint {} {:.1f} s ago", p.last_checkpoint,
                        p.last_checkpoint_age_seconds);
  }
  std::cerr << line << std::flush;
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
  run->add_option("--events", config.events,
                  "events the source generates (wordcount, logs: words or lines of the generated "
                  "sample when no --input)")
      ->capture_default_str()
      ->check(number_in(0, 1e15));
  run->add_option("--rate", config.rate,
                  "events per second the sources emit at most (wall clock; 0: as fast as they "
                  "can). bids then measures its events' latency; NEXMark also takes it as the "
                  "generator's event rate (default 10000)")
      ->capture_default_str()
      ->check(number_in(0, 1e9));
  run->add_option("--event-rate", config.event_rate,
                  "NEXMark: the generator's events per second of event time, apart from the pace "
                  "(default: --rate, else 10000)")
      ->check(number_in(1, static_cast<double>(sw::nexmark::kMaxEventRate)));
  run->add_option("--consumers", config.consumers, "fanout: consumers sharing the one source")
      ->capture_default_str()
      ->check(number_in(1, 1000));
  bool no_progress = false;
  run->add_flag("--no-progress", no_progress,
                "no live progress line (shown on stderr when it is a terminal)");
  run->add_option("--input", config.input,
                  "the file a pipeline reads (wordcount: text, logs: JSON lines; '-' for stdin), "
                  "or for logs a Redis stream: redis://[:password@]host:port/STREAM?group=G, "
                  "or for wordcount the lines clients send to a port it listens on: "
                  "tcp://host:port[?connections=N] (docs/connectors.md); default: a generated "
                  "sample")
      ->check(
          CLI::ExistingPath | CLI::IsMember({"-"}) |
          uri_of("redis://", [](const std::string& u) { sw::detail::check_redis_stream_uri(u); }) |
          uri_of("tcp://", [](const std::string& u) { sw::detail::check_tcp_uri(u, true); }));
  run->add_option("--output", config.output,
                  "where a pipeline writes its results (bids: 'auction sum' lines, wordcount: "
                  "'count word' lines, also to a server: tcp://host:port, "
                  "logs: CSV, JSON entries of a redis:// stream, or rows of a PostgreSQL table: "
                  "postgresql://user:password@host:port/DB?table=T[&key=path,minute] "
                  "(docs/connectors.md); NEXMark: JSON lines; '-' for "
                  "stdout, and then every report goes to stderr); a file is written under a "
                  "temporary name and renamed when the run "
                  "succeeds; a FIFO, device or /dev/fd/N is written directly");
  run->add_option("--max-line-bytes", config.max_line_bytes,
                  "the longest line --input may have (wordcount: a longer one fails the run, "
                  "also from tcp:// unless its URI sets max_frame; logs: it is skipped as a "
                  "bad line)")
      ->capture_default_str()
      ->check(number_in(1, 1ULL << 34));
  run->add_option("--max-errors", config.max_errors,
                  "logs: the run fails once more than this many bad lines were skipped "
                  "(default: no limit; the summary names the first bad lines)")
      ->check(number_in(0, 1e15));
  run->add_option("--threads", options.threads, "worker threads (0: one per hardware thread)")
      ->capture_default_str()
      ->check(number_in(0, kMaxCliThreads));
  run->add_option("--batch", options.batch_size, "items per batch")
      ->capture_default_str()
      ->check(number_in(1, 1 << 20));
  run->add_option("--metrics-json", metrics_json, "also write the run report as JSON to this file");
  int metrics_port = -1;
  run->add_option("--metrics-port", metrics_port,
                  "serve live metrics in Prometheus' text format at "
                  "http://<--metrics-address>:PORT/metrics while the run goes on (0: a free port, "
                  "printed on stderr; distributed: rank r on PORT + r)")
      ->check(number_in(0, 65535));
  run->add_option("--metrics-address", options.metrics.address,
                  "the address the metrics server listens on (0.0.0.0: every interface)")
      ->capture_default_str();
  std::string checkpoint_dir;
  std::string checkpoint_interval;
  std::string checkpoint_timeout;
  std::uint64_t restore_id = 0;
  add_checkpoint_options(*run, options.checkpoints, checkpoint_dir, checkpoint_interval,
                         checkpoint_timeout, restore_id);
  const std::map<std::string, sw::Mode> modes{{"inprocess", sw::Mode::in_process},
                                              {"distributed", sw::Mode::distributed}};
  const std::string mode_help =
      "inprocess: this process's threads; distributed: across the MPI ranks it was started on "
      "(mpirun -np N streamweave run ...), exchanges serialized even on one rank";
  // CLI11's transformer would print its map as the option's type ("{distributed->,...}").
  const auto mode_option = [&](CLI::App* sub, const std::string& help) {
    sub->add_option("--mode", options.mode, help)
        ->transform(CLI::CheckedTransformer(modes, CLI::ignore_case).description(""))
        ->type_name("inprocess|distributed")
        ->default_str("inprocess");
  };
  mode_option(run, mode_help);

  std::string graph_name;
  CLI::App* graph =
      app.add_subcommand("graph", "print a sample pipeline's graph as Graphviz DOT or SVG");
  graph->add_option("pipeline", graph_name, "the pipeline (see `streamweave list`)")->required();
  graph->add_option("--threads", options.threads, "threads to plan for (parallelism, fused chains)")
      ->check(number_in(0, kMaxCliThreads));
  mode_option(graph, mode_help + "; shows each node's ranks");
  std::string graph_format = "dot";
  graph
      ->add_option(
          "--format", graph_format,
          "dot: Graphviz source; svg: rendered by Graphviz's dot (apt-get install graphviz)")
      ->check(CLI::IsMember({"dot", "svg"}))
      ->capture_default_str();
  unsigned plan_ranks = 0;
  graph
      ->add_option("--ranks", plan_ranks,
                   "ranks to plan for in distributed mode (default: the ranks it runs on)")
      ->check(CLI::PositiveNumber);

  sw::examples::BenchSettings bench_settings;
  CLI::App* bench = app.add_subcommand(
      "bench", "run the benchmark suites: each figure, and each ratio next to its target");
  bench->add_option("--suite", bench_settings.suite, sw::examples::bench_suites_help())
      ->check(CLI::IsMember({"pipeline-p", "nexmark", "serde", "all"}))
      ->capture_default_str();
  bench->add_option("--json", bench_settings.json, "also write every result to this JSON file");
  bench->add_flag("--quick", bench_settings.quick,
                  "small runs: to see that the suites work, not to measure (noisy figures)");

  sw::examples::CheckpointsSettings checkpoints_settings;
  CLI::App* checkpoints = app.add_subcommand(
      "checkpoints", "what a checkpoint directory holds (docs/fault_tolerance.md)");
  checkpoints->require_subcommand(1);
  CLI::App* list_checkpoints = checkpoints->add_subcommand(
      "list",
      "each checkpoint (complete, final, damaged: why), its size and duration; the "
      "write-ahead logs and where a restarted run's stream input begins");
  CLI::App* inspect_checkpoint = checkpoints->add_subcommand(
      "inspect",
      "one checkpoint: its manifest and each operator instance's state (bytes, keyed "
      "entries, key groups), every file checked");
  for (CLI::App* sub : {list_checkpoints, inspect_checkpoint}) {
    sub->add_option("dir", checkpoints_settings.dir, "the --checkpoint-dir of the runs")
        ->required();
  }
  inspect_checkpoint->add_option("--id", checkpoints_settings.id,
                                 "the checkpoint (default: the newest complete one)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (const int code = app.exit(e); code == 0) return 0;
    suggest_options(app, argc, argv);
    return 2;
  }

  if (app.got_subcommand("bench")) return sw::examples::run_bench(bench_settings);
  if (list_checkpoints->parsed()) return sw::examples::list_checkpoints(checkpoints_settings);
  if (inspect_checkpoint->parsed()) return sw::examples::inspect_checkpoint(checkpoints_settings);
  if (app.got_subcommand("list")) {
    for (const auto& p : sw::examples::pipelines())
      std::cout << fmt::format("{:<10} {}\n", p.name, p.description);
    return 0;
  }
  const std::string& name = app.got_subcommand("run") ? run_name : graph_name;
  const sw::examples::Pipeline* pipeline = sw::examples::find_pipeline(name);
  if (pipeline == nullptr) return unknown_pipeline(name);

  if (app.got_subcommand("run")) {
    const auto takers = [](bool sw::examples::Pipeline::*flag) {
      std::string names;
      for (const auto& p : sw::examples::pipelines()) {
        if (p.*flag) names += (names.empty() ? "" : ", ") + p.name;
      }
      return names;
    };
    if (!config.input.empty() && !pipeline->reads_input) {
      std::cerr << "streamweave: pipeline '" << name << "' reads no input file (--input is for: "
                << takers(&sw::examples::Pipeline::reads_input) << ")\n";
      return 2;
    }
    if ((is_connector_uri(config.input) || is_connector_uri(config.output)) &&
        pipeline->name != "logs") {
      std::cerr << "streamweave: redis:// and postgresql:// are read and written by the logs "
                   "pipeline only\n";
      return 2;
    }
    if ((config.input.starts_with("tcp://") || config.output.starts_with("tcp://")) &&
        pipeline->name != "wordcount") {
      std::cerr << "streamweave: tcp:// is read and written by the wordcount pipeline only\n";
      return 2;
    }
    if (run->count("--max-errors") != 0 && pipeline->name != "logs") {
      std::cerr << "streamweave: --max-errors is for the logs pipeline only\n";
      return 2;
    }
    if (run->count("--consumers") != 0 && pipeline->name != "fanout") {
      std::cerr << "streamweave: --consumers is for the fanout pipeline only\n";
      return 2;
    }
    if (!config.output.empty() && !pipeline->writes_output) {
      std::cerr << "streamweave: pipeline '" << name << "' writes no output file (--output is for: "
                << takers(&sw::examples::Pipeline::writes_output) << ")\n";
      return 2;
    }
  }

  std::optional<sw::examples::StopSignals> signals;
  if (app.got_subcommand("run")) {
    if (pipeline->max_rate > 0 && config.rate > pipeline->max_rate) {
      std::cerr << fmt::format("streamweave: pipeline '{}' takes --rate {} at most\n", name,
                               pipeline->max_rate);
      return 2;
    }
    if (is_connector_uri(config.output) || config.output.starts_with("tcp://")) {
      try {
        if (config.output.starts_with("redis://")) {
          sw::detail::check_redis_stream_uri(config.output);
        } else if (config.output.starts_with("tcp://")) {
          sw::detail::check_tcp_uri(config.output, false);
        } else {
          sw::detail::check_postgres_uri(config.output, false);
        }
      } catch (const std::invalid_argument& e) {
        std::cerr << "streamweave: --output: " << e.what() << '\n';
        return 2;
      }
    } else if (!config.output.empty()) {
      try {
        sw::check_output_path(config.output);
      } catch (const std::system_error& e) {
        std::cerr << "streamweave: --output: " << e.what() << '\n';
        return 2;
      }
    }
    for (const char* needs_dir :
         {"--checkpoint-interval", "--checkpoints-kept", "--restore", "--fresh",
          "--savepoint-on-exit", "--checkpoint-timeout", "--alignment-timeout"}) {
      if (run->count(needs_dir) != 0 && checkpoint_dir.empty()) {
        std::cerr << "streamweave: " << needs_dir << " needs --checkpoint-dir\n";
        return 2;
      }
    }
    options.checkpoints.directory = checkpoint_dir;
    if (restore_id != 0) options.checkpoints.restore_id = restore_id;
    // Before any thread starts (the sample writer's, TBB's, MPI's): they inherit the mask.
    sw::CancelToken stop;
    options.cancel = stop;
    signals.emplace(stop);
  }
  // With the data on stdout, what the tool says about it goes to stderr.
  std::ostream& say = config.output == "-" ? std::cerr : std::cout;

  try {
    sw::Graph g{pipeline->name};
    auto print_results = pipeline->build(g, config);
    if (app.got_subcommand("graph")) {
      const bool distributed = options.mode == sw::Mode::distributed;
      const unsigned ranks = plan_ranks != 0 ? plan_ranks : distributed ? sw::cluster().ranks : 1;
      if (sw::cluster().rank != 0) return 0;
      const std::string dot = sw::to_dot(g, options, ranks);
      if (graph_format == "dot") {
        std::cout << dot;
        return 0;
      }
      return render_svg(dot);
    }
    options.source_rate = config.rate;
    if (metrics_port >= 0) {
      options.metrics.port = static_cast<std::uint16_t>(metrics_port);
      options.metrics.on_listening = [&options](std::uint16_t port) {
        std::cerr << fmt::format(
            "streamweave: metrics at http://{}:{}/metrics{}\n", options.metrics.address, port,
            options.mode == sw::Mode::distributed ? fmt::format(" (rank {})", sw::cluster().rank)
                                                  : "");
      };
    }
    const bool progress_line = !no_progress && ::isatty(STDERR_FILENO) != 0 &&
                               (options.mode == sw::Mode::in_process || sw::cluster().rank == 0);
    if (progress_line) options.on_progress = print_progress;
    sw::RunReport report = sw::run(g, options);
    if (progress_line) std::cerr << "\r\033[K" << std::flush;  // the summary replaces it
    // Distributed: every rank has the merged report, and rank 0 the gathered results.
    if (report.rank != 0) return signals->received() != 0 ? signals->exit_code() : 0;
    print_results(say, report);
    say << '\n' << report.summary();
    if (!metrics_json.empty()) {
      std::ofstream out(metrics_json);
      out << report_json(report) << '\n';
      if (!out) {
        std::cerr << "streamweave: cannot write " << metrics_json << '\n';
        return 1;
      }
    }
    if (signals->received() != 0) {
      if (report.checkpoints.savepoint != 0) {
        std::cerr << "streamweave: stopped by " << signals->name() << " at savepoint "
                  << report.checkpoints.savepoint << " in " << checkpoint_dir
                  << ": the output up to it is committed; run again with --checkpoint-dir "
                  << checkpoint_dir << " to go on from there\n";
      } else {
        std::cerr << "streamweave: stopped by " << signals->name() << " after " << report.events
                  << " events; the results above are partial"
                  << (config.output.empty() || config.output == "-" ? ""
                      : !checkpoint_dir.empty()
                          ? " and the output holds what the last checkpoint committed"
                          : " and no output was written")
                  << '\n';
      }
      return signals->exit_code();
    }
    return 0;
  } catch (const sw::examples::Interrupted&) {
    std::cerr << "streamweave: stopped by " << signals->name()
              << " while generating the sample input; nothing was run\n";
    return signals->exit_code();
  } catch (const sw::GraphError& e) {
    if (sw::cluster().rank == 0) std::cerr << "streamweave: invalid graph: " << e.what() << '\n';
    return 1;
  } catch (const sw::RemoteFailure&) {
    return 1;  // the failing rank prints the error, once
  } catch (const std::exception& e) {
    std::cerr << "streamweave: pipeline '" << name << "' failed: " << e.what() << '\n';
    return 1;
  }
}
