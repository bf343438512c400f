// What checkpoints cost (docs/benchmarks.md, "Checkpoints"):
//   rates     pipeline P, NEXMark q5 and q8 without checkpoints, with one every 1 s and every
//             100 ms, in one run, the order rotated each round; best of --repeat per figure,
//             and the ratio to the run without (targets: >= 0.97 at 1 s, >= 0.90 at 100 ms)
//   keys      a keyed sum over --keys keys with a checkpoint every 250 ms: each checkpoint's
//             keyed entries, bytes, duration, alignment and snapshot (the timeline, also as
//             --timeline FILE for bench/plot_checkpoints.sh)
//   restore   a keyed sum whose checkpoint holds about --restore-mib MiB of state, stopped
//             and restarted: from the call to the first event processed after the restore
//             (target <= 1 s for 100 MiB)
// Checkpoints go under --dir (default: a directory in build/, on the disk, not /tmp's tmpfs).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <streamweave/serde/checked_file.hpp>
#include <streamweave/serde/checkpoint_manifest.hpp>
#include <streamweave/streamweave.hpp>
#include <string>
#include <vector>

#include "nexmark/queries.hpp"
#include "pipeline_p_graph.hpp"

namespace fs = std::filesystem;
namespace nx = sw::nexmark;

namespace {

struct Options {
  std::uint64_t p_events = 400'000'000;
  std::uint64_t nexmark_events = 40'000'000;
  std::uint64_t keys = 1'000'000;
  std::uint64_t restore_mib = 100;
  unsigned threads = 2;
  unsigned repeat = 3;
  std::string dir = "build/checkpoint_rate";
  std::string timeline;
  std::vector<std::string> parts{"rates", "keys", "restore"};
};

using Build = std::function<void(sw::Graph&)>;

void pipeline_p(sw::Graph& g, std::uint64_t events) {
  sw::bench::keyed_events(g, events)
      .reduce("sum", [](std::int64_t acc, const sw::bench::Event& e) { return acc + e.price; },
              {.emit = sw::Emit::at_end})
      .sink("out", sw::discard());
}

// A run of `build` with checkpoints every `interval` (none when 0).
sw::RunReport run_once(const Options& o, const Build& build, std::chrono::milliseconds interval) {
  sw::Graph g{"bench"};
  build(g);
  sw::RunOptions options{.threads = o.threads};
  if (interval.count() > 0) {
    fs::remove_all(o.dir);
    options.checkpoints.directory = o.dir;
    options.checkpoints.interval = interval;
    options.checkpoints.fresh = true;
  }
  return sw::run(g, options);
}

void rates(const Options& o) {
  struct Pipeline {
    std::string name;
    Build build;
  };
  const std::vector<Pipeline> pipelines{
      {"P", [&](sw::Graph& g) { pipeline_p(g, o.p_events); }},
      {"q5",
       [&](sw::Graph& g) {
         (void)nx::q5(g, {.generator = {.events = o.nexmark_events}}).sink("out", sw::discard());
       }},
      {"q8",
       [&](sw::Graph& g) {
         (void)nx::q8(g, {.generator = {.events = o.nexmark_events}}).sink("out", sw::discard());
       }},
  };
  const std::vector<std::chrono::milliseconds> intervals{std::chrono::milliseconds(0),
                                                         std::chrono::milliseconds(1000),
                                                         std::chrono::milliseconds(100)};
  for (const Pipeline& p : pipelines) {
    std::vector<double> best(intervals.size(), 0);
    std::vector<std::uint64_t> taken(intervals.size(), 0);
    for (unsigned r = 0; r < o.repeat; ++r) {
      for (std::size_t k = 0; k < intervals.size(); ++k) {
        const std::size_t m = (k + r) % intervals.size();  // rotate the order
        const sw::RunReport report = run_once(o, p.build, intervals[m]);
        fmt::print(
            "{{\"part\": \"rates\", \"pipeline\": \"{}\", \"interval_ms\": {}, "
            "\"round\": {}, \"events_per_s\": {:.0f}, \"seconds\": {:.2f}, "
            "\"checkpoints\": {}}}\n",
            p.name, intervals[m].count(), r, report.events_per_second, report.wall_seconds,
            report.checkpoints.completed);
        if (report.events_per_second > best[m]) {
          best[m] = report.events_per_second;
          taken[m] = report.checkpoints.completed;
        }
      }
    }
    fmt::print(
        "{}: {:.2f} M events/s without checkpoints; every 1 s {:.2f} M ({} checkpoints), "
        "ratio {:.3f} (target >= 0.97); every 100 ms {:.2f} M ({}), ratio {:.3f} "
        "(target >= 0.90)\n",
        p.name, best[0] / 1e6, best[1] / 1e6, taken[1], best[1] / best[0], best[2] / 1e6, taken[2],
        best[2] / best[0]);
  }
}

std::vector<sw::CheckpointManifest> manifests(const fs::path& dir) {
  std::vector<sw::CheckpointManifest> all;
  for (const auto& e : fs::directory_iterator(dir)) {
    const fs::path path = e.path() / "_manifest";
    if (!fs::exists(path)) continue;
    all.push_back(sw::parse_manifest(sw::read_checked_file(path, sw::FileKind::manifest), path));
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return all;
}

std::uint64_t entries_of(const sw::CheckpointManifest& m) {
  std::uint64_t n = 0;
  for (const auto& f : m.files) n += f.entries;
  return n;
}

std::uint64_t bytes_of(const sw::CheckpointManifest& m) {
  std::uint64_t n = 0;
  for (const auto& f : m.files) n += f.bytes;
  return n;
}

// numbers -> key_by(x % keys) -> sum per key, emitted at the end.
void keyed_sum(sw::Graph& g, std::uint64_t events, std::uint64_t keys,
               std::function<void()> on_item = {}) {
  g.source("numbers", sw::generate<std::uint64_t>(events, [](std::uint64_t i) { return i; }))
      .map("seen",
           [on_item](std::uint64_t x) {
             if (on_item) on_item();
             return x;
           })
      .key_by([keys](std::uint64_t x) { return x % keys; })
      .reduce("sum", [](std::uint64_t acc, std::uint64_t x) { return acc + x; },
              {.emit = sw::Emit::at_end})
      .sink("out", sw::discard());
}

void keys(const Options& o) {
  fs::remove_all(o.dir);
  sw::Graph g{"keys"};
  keyed_sum(g, 8 * o.keys, o.keys);
  sw::RunOptions options{.threads = o.threads};
  options.checkpoints.directory = o.dir;
  options.checkpoints.interval = std::chrono::milliseconds(250);
  options.checkpoints.retained = 1000;
  options.source_rate = static_cast<double>(4 * o.keys);  // about 2 s, 8 checkpoints
  const sw::RunReport report = sw::run(g, options);
  std::ofstream timeline;
  if (!o.timeline.empty()) {
    timeline.open(o.timeline);
    timeline << "# id start_ms alignment_ms snapshot_ms duration_ms entries mib\n";
  }
  const std::vector<sw::CheckpointManifest> all = manifests(o.dir);
  const std::int64_t t0 = all.empty() ? 0 : all.front().started_unix_ms;
  for (const sw::CheckpointManifest& m : all) {
    const double mib = static_cast<double>(bytes_of(m)) / (1 << 20);
    fmt::print(
        "{{\"part\": \"keys\", \"id\": {}, \"final\": {}, \"entries\": {}, \"mib\": {:.2f}, "
        "\"duration_ms\": {:.1f}, \"alignment_ms\": {:.1f}, \"snapshot_ms\": {:.1f}}}\n",
        m.id, m.final, entries_of(m), mib, m.duration_us / 1e3, m.alignment_us / 1e3,
        m.snapshot_us / 1e3);
    if (timeline.is_open()) {
      timeline << fmt::format("{} {} {:.2f} {:.2f} {:.2f} {} {:.2f}\n", m.id,
                              m.started_unix_ms - t0, m.alignment_us / 1e3, m.snapshot_us / 1e3,
                              m.duration_us / 1e3, entries_of(m), mib);
    }
  }
  fmt::print("keys: {} keys, {} checkpoints, run {:.2f} s\n", o.keys, all.size(),
             report.wall_seconds);
}

void restore(const Options& o) {
  // About 16 bytes of state per key (key and sum, varint-free fixed width, plus framing).
  const std::uint64_t keys = o.restore_mib * (1 << 20) / 16;
  fs::remove_all(o.dir);
  {
    sw::Graph g{"restore"};
    keyed_sum(g, 4 * keys, keys);
    sw::RunOptions options{.threads = o.threads};
    options.checkpoints.directory = o.dir;
    options.checkpoints.interval = std::chrono::milliseconds(500);
    sw::CancelToken stop;
    options.cancel = stop;
    options.progress_interval = std::chrono::milliseconds(50);
    const fs::path dir = o.dir;
    options.on_progress = [&, dir](const sw::RunProgress&) {
      try {
        for (const auto& m : manifests(dir)) {
          if (entries_of(m) >= keys) stop.cancel();
        }
      } catch (const std::exception& e) {  // a checkpoint pruned while read: look again
        fmt::print(stderr, "restore: {}\n", e.what());
      }
    };
    options.source_rate = static_cast<double>(keys) / 2;  // every key by 2 s, 8 s in all
    (void)sw::run(g, options);
  }
  const std::vector<sw::CheckpointManifest> all = manifests(o.dir);
  if (all.empty() || entries_of(all.back()) < keys) {
    fmt::print("restore: no checkpoint with {} keys (the last has {})\n", keys,
               all.empty() ? 0 : entries_of(all.back()));
    return;
  }
  const double mib = static_cast<double>(bytes_of(all.back())) / (1 << 20);
  sw::Graph g{"restore"};
  sw::CancelToken stop;
  std::atomic<std::int64_t> first_ns{0};
  const auto start = sw::Clock::now();
  keyed_sum(g, 4 * keys, keys, [&] {
    std::int64_t expected = 0;
    const std::int64_t now = (sw::Clock::now() - start).count();
    if (first_ns.compare_exchange_strong(expected, now)) stop.cancel();
  });
  sw::RunOptions options{.threads = o.threads};
  options.checkpoints.directory = o.dir;
  options.checkpoints.interval = std::chrono::milliseconds(0);
  options.cancel = stop;
  const sw::RunReport report = sw::run(g, options);
  const double first_ms = static_cast<double>(first_ns.load()) / 1e6;
  fmt::print(
      "{{\"part\": \"restore\", \"keys\": {}, \"mib\": {:.1f}, \"checkpoint\": {}, "
      "\"first_event_ms\": {:.1f}}}\n",
      entries_of(all.back()), mib, report.checkpoints.restored_from, first_ms);
  fmt::print(
      "restore: {:.1f} MiB of state ({} keys) restored, first event processed after "
      "{:.0f} ms (target <= 1000 ms for 100 MiB)\n",
      mib, entries_of(all.back()), first_ms);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"checkpoint_rate: what checkpoints cost (throughput, snapshot, restore)"};
  app.add_option("--p-events", o.p_events, "events per run of pipeline P")->capture_default_str();
  app.add_option("--nexmark-events", o.nexmark_events, "events per run of q5 and q8")
      ->capture_default_str();
  app.add_option("--keys", o.keys, "keys of the snapshot benchmark")->capture_default_str();
  app.add_option("--restore-mib", o.restore_mib, "state of the restore benchmark")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "worker threads")->capture_default_str();
  app.add_option("--repeat", o.repeat, "rounds of the rates (the best counts)")
      ->capture_default_str();
  app.add_option("--dir", o.dir, "where checkpoints go (removed first)")->capture_default_str();
  app.add_option("--timeline", o.timeline, "also write the keys part's checkpoints here");
  app.add_option("--part", o.parts, "rates, keys, restore (repeatable; default all)");
  CLI11_PARSE(app, argc, argv);
  for (const std::string& part : o.parts) {
    if (part == "rates") {
      rates(o);
    } else if (part == "keys") {
      keys(o);
    } else if (part == "restore") {
      restore(o);
    } else {
      fmt::print(stderr, "checkpoint_rate: unknown part '{}'\n", part);
      return 2;
    }
  }
  fs::remove_all(o.dir);
  return 0;
}
