// The NEXMark benchmark: events per second of each query q0-q8 in process, next to the
// generator alone (source -> discard: the ceiling for q0) measured in the same run, and the
// window operator's cost per event and state memory per key. Best of --repeat runs per
// figure. Prints one JSON object per line, then the ratios and the targets
// (docs/benchmarks.md): q0-q2 >= 0.80 of the generator, every query >= 1 M events/s per core.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <streamweave/streamweave.hpp>
#include <string>
#include <thread>
#include <vector>

#include "nexmark/queries.hpp"

namespace nx = sw::nexmark;

namespace {

struct Options {
  std::uint64_t events = 10'000'000;
  unsigned threads = 2;
  unsigned repeat = 3;
  std::vector<std::string> queries;
};

template <class Build>
sw::RunReport best_of(const Options& o, Build build) {
  sw::RunReport best;
  for (unsigned r = 0; r < o.repeat; ++r) {
    sw::Graph g{"nexmark"};
    build(g);
    sw::RunReport report = sw::run(g, {.threads = o.threads});
    if (r == 0 || report.events_per_second > best.events_per_second) best = std::move(report);
  }
  return best;
}

template <class Row>
double query_rate(const Options& o, sw::Stream<Row> (*query)(sw::Graph&, const nx::QueryOptions&)) {
  return best_of(o,
                 [&](sw::Graph& g) {
                   query(g, nx::QueryOptions{.generator = {.events = o.events}})
                       .sink("out", sw::discard());
                 })
      .events_per_second;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"nexmark_rate: NEXMark q0-q8 against the generator alone"};
  app.add_option("--events", o.events, "events per run")->capture_default_str();
  app.add_option("--threads", o.threads, "worker threads")->capture_default_str();
  app.add_option("--repeat", o.repeat, "runs per figure (the best counts)")->capture_default_str();
  app.add_option("--query", o.queries, "only these queries (q0 ... q8; repeatable)");
  CLI11_PARSE(app, argc, argv);
  const double cores = std::min<double>(o.threads, std::thread::hardware_concurrency());

  // The generator alone: every event made, none looked at.
  const double generator =
      best_of(o, [&](sw::Graph& g) {
        g.source("events", nx::source({.events = o.events})).sink("out", sw::discard());
      }).events_per_second;
  std::printf(
      "{\"bench\": \"nexmark\", \"query\": \"generator\", \"events\": %llu, "
      "\"threads\": %u, \"events_per_second\": %.0f}\n",
      static_cast<unsigned long long>(o.events), o.threads, generator);

  const std::vector<std::pair<std::string, std::function<double()>>> all = {
      {"q0", [&] { return query_rate(o, nx::q0); }}, {"q1", [&] { return query_rate(o, nx::q1); }},
      {"q2", [&] { return query_rate(o, nx::q2); }}, {"q3", [&] { return query_rate(o, nx::q3); }},
      {"q4", [&] { return query_rate(o, nx::q4); }}, {"q5", [&] { return query_rate(o, nx::q5); }},
      {"q6", [&] { return query_rate(o, nx::q6); }}, {"q7", [&] { return query_rate(o, nx::q7); }},
      {"q8", [&] { return query_rate(o, nx::q8); }},
  };
  std::map<std::string, double> rates;
  for (const auto& [name, run] : all) {
    if (!o.queries.empty() &&
        std::find(o.queries.begin(), o.queries.end(), name) == o.queries.end()) {
      continue;
    }
    rates[name] = run();
    std::printf(
        "{\"bench\": \"nexmark\", \"query\": \"%s\", \"events\": %llu, \"threads\": %u, "
        "\"events_per_second\": %.0f}\n",
        name.c_str(), static_cast<unsigned long long>(o.events), o.threads, rates[name]);
    std::fflush(stdout);
  }

  // The window operator: keyed tumbling count windows over the generator's bids against the
  // same graph with a keyed running count (the cheapest keyed operator), per event; and the
  // state per key it held.
  auto bids = [](const sw::Stream<nx::Event>& events) {
    return events.flat_map<nx::Bid>("bids", [](const nx::Event& e, sw::Emitter<nx::Bid>& out) {
      if (const nx::Bid* b = e.bid()) out(*b);
    });
  };
  const sw::RunReport windowed = best_of(o, [&](sw::Graph& g) {
    bids(nx::events(g, {.generator = {.events = o.events}}))
        .key_by([](const nx::Bid& b) { return b.auction; })
        .window(
            "window", sw::tumbling(10'000), [](const nx::Bid& b) { return b.date_time; },
            sw::agg::count())
        .sink("out", sw::discard());
  });
  const sw::RunReport running = best_of(o, [&](sw::Graph& g) {
    bids(nx::events(g, {.generator = {.events = o.events}}))
        .key_by([](const nx::Bid& b) { return b.auction; })
        .aggregate("window", std::uint64_t{0},
                   [](std::uint64_t n, const nx::Bid&) { return n + 1; },
                   {.emit = sw::Emit::at_end})
        .sink("out", sw::discard());
  });
  const double bids_in = static_cast<double>(windowed.node("window").items_in);
  const double window_ns =
      windowed.node("window").busy_seconds / bids_in * 1e9;  // the window's whole chain
  const double running_ns = running.node("window").busy_seconds / bids_in * 1e9;
  const auto& state = windowed.node("window");
  std::printf(
      "{\"bench\": \"nexmark_window\", \"events\": %llu, \"threads\": %u, "
      "\"window_chain_ns_per_bid\": %.1f, \"running_count_chain_ns_per_bid\": %.1f, "
      "\"state_entries\": %llu, \"state_bytes\": %llu}\n",
      static_cast<unsigned long long>(o.events), o.threads, window_ns, running_ns,
      static_cast<unsigned long long>(state.state_entries),
      static_cast<unsigned long long>(state.state_bytes));

  // The checks as JSON too (`streamweave bench` marks them PASS or SHORT). q0-q2 against the
  // generator: >= 0.95 since the chain-fusion issue (0.8 before), their steps compiled into the
  // generator's loop.
  constexpr double kOfGenerator = 0.95;
  for (const auto& [name, rate] : rates) {
    const double per_core = rate / cores / 1e6;
    std::printf(
        "{\"name\": \"%s_per_core_M_events_per_s\", \"value\": %.3f, \"target\": "
        "\">= 1\", \"met\": %s}\n",
        name.c_str(), per_core, per_core >= 1.0 ? "true" : "false");
    if (name == "q0" || name == "q1" || name == "q2") {
      std::printf(
          "{\"name\": \"%s_vs_generator\", \"value\": %.3f, \"target\": \">= %.2f\", "
          "\"met\": %s}\n",
          name.c_str(), rate / generator, kOfGenerator,
          rate >= kOfGenerator * generator ? "true" : "false");
    }
  }
  std::printf("\nratios (same run; %g cores):\n", cores);
  for (const auto& [name, rate] : rates) {
    const bool ceiling = name == "q0" || name == "q1" || name == "q2";
    const double per_core = rate / cores;
    std::printf("  %s: %6.2f M events/s = %.2f M/s per core (target >= 1.00: %s)", name.c_str(),
                rate / 1e6, per_core / 1e6, per_core >= 1e6 ? "met" : "SHORT");
    if (ceiling) {
      std::printf(", %.2f of the generator (target >= %.2f: %s)", rate / generator, kOfGenerator,
                  rate >= kOfGenerator * generator ? "met" : "SHORT");
    }
    std::printf("\n");
  }
  std::printf("  generator alone: %.2f M events/s\n", generator / 1e6);
  std::printf(
      "  window: %.1f ns per bid in the window's task (running count: %.1f ns); "
      "state %.0f bytes per window entry (%llu entries at most)\n",
      window_ns, running_ns,
      state.state_entries == 0
          ? 0.0
          : static_cast<double>(state.state_bytes) / static_cast<double>(state.state_entries),
      static_cast<unsigned long long>(state.state_entries));
  return 0;
}
