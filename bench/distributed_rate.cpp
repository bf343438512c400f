// The distributed benchmark: pipeline P, a keyed word count and exchange throughput, in the
// mode given (run it plain for in-process and one-rank figures, under `mpirun -np 2` for two
// ranks). bench/distributed.sh runs every mode and the raw MPI ping-pong (mpi_pingpong) and
// prints the ratios. Prints one JSON object per line, on rank 0. `--help` lists the options.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <chrono>
#include <map>
#include <streamweave/streamweave.hpp>
#include <string>
#include <vector>

#include "mpi_pingpong.hpp"
#include "pipeline_p_graph.hpp"

using sw::bench::Event;

namespace {

struct Options {
  sw::Mode mode = sw::Mode::in_process;
  unsigned threads = 0;
  std::uint64_t events = 20'000'000;
  std::uint64_t words = 10'000'000;
  std::uint64_t exchange_bytes = 1u << 30;   // per frame size
  std::uint64_t pingpong_bytes = 64u << 20;  // paired: per ping-pong pass
  std::vector<std::size_t> frame_kib{4, 64, 1024};
  unsigned repeat = 3;
  std::size_t credits = 0;  // exchange: frames in flight per channel (0: the default)
  std::size_t splice_bytes = sw::DistributedOptions{}.splice_bytes;
  std::chrono::microseconds::rep poll_window_us = sw::DistributedOptions{}.poll_window.count();
  bool worker_thread = false;  // tasks on a worker of their own even with one per rank
  sw::PayloadChecksum payload_checksum = sw::DistributedOptions{}.payload_checksum;
  std::string suite = "all";
};

// The run options every suite uses: mode, threads and the communication thread's settings.
sw::RunOptions run_options(const Options& o) {
  sw::RunOptions options{.mode = o.mode, .threads = o.threads};
  options.distributed.poll_window = std::chrono::microseconds(o.poll_window_us);
  options.distributed.tasks_on_comm_thread = !o.worker_thread;
  options.distributed.payload_checksum = o.payload_checksum;
  return options;
}

const char* mode_name(sw::Mode mode) {
  return sw::to_string(mode);
}

void emit(const std::string& json) {
  if (sw::cluster().rank == 0) std::printf("%s\n", json.c_str());
}

// Serialisation cost per item on one edge of a run: encode + decode seconds over its items.
double serde_ns_per_item(const sw::RunReport& r, std::size_t edge, std::uint64_t items) {
  if (r.edges.size() <= edge || items == 0) return 0;
  return (r.edges[edge].encode_seconds + r.edges[edge].decode_seconds) * 1e9 /
         static_cast<double>(items);
}

// Pipeline P (bench/pipeline_p.hpp), parallelism = workers of the run: the hash edge is the
// exchange; the sums are gathered to one sink.
void pipeline_p(const Options& o) {
  double best = 0;
  sw::RunReport kept;
  std::int64_t total = 0;
  for (unsigned round = 0; round < o.repeat; ++round) {
    sw::Graph g{"pipeline-p"};
    std::vector<sw::KeyValue<std::uint64_t, std::int64_t>> sums;
    sw::bench::keyed_events(g, o.events)
        .combine(
            "sum", std::int64_t{0}, [](std::int64_t acc, const Event& e) { return acc + e.price; },
            [](std::int64_t a, std::int64_t b) { return a + b; })
        .sink("out", sw::collect(sums), {.parallelism = 1});
    const sw::RunReport r = sw::run(g, run_options(o));
    if (r.events_per_second > best) {
      best = r.events_per_second;
      kept = r;
    }
    total = 0;
    for (const auto& kv : sums) total += kv.value;
  }
  emit(fmt::format(
      R"({{"bench": "pipeline_p", "mode": "{}", "ranks": {}, "threads_per_rank": {}, "events": {}, "events_per_second": {:.0f}, "checksum": {}, "exchange_frames": {}, "exchange_mib": {:.1f}}})",
      mode_name(o.mode), kept.ranks, kept.threads, kept.events, best, total,
      kept.edges.empty() ? 0 : kept.edges[0].frames_sent,
      kept.edges.empty() ? 0.0 : static_cast<double>(kept.edges[0].bytes_sent) / (1 << 20)));
}

// Keyed word count: words drawn from a 50 000-word vocabulary, counted per word. Every word
// crosses the hash edge (reduce, not combine), so this measures the exchange of strings.
void word_count(const Options& o) {
  // Str words: handing one out is a reference-count increment, not a copy.
  static const std::vector<sw::Str> vocabulary = [] {
    std::vector<sw::Str> words;
    for (unsigned i = 0; i < 50000; ++i) words.emplace_back(fmt::format("w{:x}", i * 2654435761u));
    return words;
  }();
  double best = 0;
  sw::RunReport kept;
  for (unsigned round = 0; round < o.repeat; ++round) {
    sw::Graph g{"wordcount"};
    std::uint64_t distinct = 0;
    g.source("words",
             sw::generate<sw::Str>(
                 o.words,
                 [](std::uint64_t i) {
                   return vocabulary[(i * 0x9E3779B97F4A7C15ULL >> 33) % vocabulary.size()];
                 }))
        .key_by([](const sw::Str& w) { return w; })
        .reduce("count", [](std::uint64_t n, const sw::Str&) { return n + 1; },
                {.emit = sw::Emit::at_end})
        .sink("distinct", sw::count(distinct));
    const sw::RunReport r = sw::run(g, run_options(o));
    if (r.events_per_second > best) {
      best = r.events_per_second;
      kept = r;
    }
  }
  emit(fmt::format(
      R"({{"bench": "wordcount", "mode": "{}", "ranks": {}, "threads_per_rank": {}, "words": {}, "events_per_second": {:.0f}, "distinct": {}, "serde_ns_per_word": {:.1f}}})",
      mode_name(o.mode), kept.ranks, kept.threads, kept.events, best,
      kept.node("distinct").items_in, serde_ns_per_item(kept, 0, kept.events)));
}

// A payload of `bytes` that every item shares (a slice, never copied by the source): the
// exchange sends it from where it is (or, with --splice-bytes 0 or above its size, copies it
// into the frame); the receiver decodes it as a slice of the frame it received.
struct Payload {
  std::uint32_t to = 0;
  sw::Bytes data;
};

// Keys whose hash lands on instance 0 and 1 of a two-instance consumer.
std::uint32_t key_for_instance_1() {
  std::uint32_t to_instance[2] = {0, 0};
  for (std::uint32_t k = 0, found = 0; found != 3; ++k) {
    const std::size_t target = sw::owner_of_key(sw::hash_key(k), 2);
    if ((found & (1u << target)) == 0) {
      to_instance[target] = k;
      found |= 1u << target;
    }
  }
  return to_instance[1];
}

// One exchange run: rank 0 streams frames of one `kib` item each to rank 1 (one rank: to its
// own other instance, handed over in memory). Returns MB/s of payload delivered.
double exchange_once(const Options& o, std::size_t kib, sw::RunReport& report) {
  const std::size_t bytes = kib << 10;
  const sw::Bytes shared = sw::Bytes::copy_of(std::string(bytes, 'x'));
  const std::uint64_t items = std::max<std::uint64_t>(64, o.exchange_bytes / bytes);
  const std::uint32_t key = key_for_instance_1();
  sw::Graph g{"exchange"};
  g.source("frames",
           sw::generate<Payload>(items,
                                 [&shared, key](std::uint64_t) {
                                   return Payload{key, shared};
                                 }),
           {.parallelism = 1})
      .key_by([](const Payload& p) { return p.to; })
      .sink("received", sw::discard(), {.parallelism = 2});
  sw::RunOptions options = run_options(o);
  options.batch_size = 16;
  options.distributed.frame_bytes = bytes;  // one item per frame
  options.distributed.credits = o.credits;
  options.distributed.splice_bytes = o.splice_bytes;
  report = sw::run(g, options);
  return static_cast<double>(items * bytes) / report.wall_seconds / 1e6;
}

// Exchange throughput at each frame size, the best of --repeat runs.
void exchange(const Options& o) {
  for (const std::size_t kib : o.frame_kib) {
    double best = 0;
    sw::RunReport kept;
    for (unsigned round = 0; round < o.repeat; ++round) {
      sw::RunReport r;
      const double rate = exchange_once(o, kib, r);
      if (rate > best) {
        best = rate;
        kept = std::move(r);
      }
    }
    emit(fmt::format(
        R"({{"bench": "exchange", "mode": "{}", "ranks": {}, "frame_kib": {}, "credits": {}, "splice_bytes": {}, "payload_checksum": "{}", "frames": {}, "mb_per_second": {:.1f}, "remote_frames": {}, "credit_stalls": {}}})",
        mode_name(o.mode), kept.ranks, kib, o.credits == 0 ? 16 : o.credits, o.splice_bytes,
        sw::to_string(o.payload_checksum), kept.edges.empty() ? 0 : kept.edges[0].frames_sent, best,
        kept.edges.empty() ? 0 : kept.edges[0].remote_frames_sent,
        kept.edges.empty() ? 0 : kept.edges[0].credit_stalls));
  }
}

// The exchange and the raw MPI ping-pong in one job, interleaved: a ping-pong pass, an
// exchange run, the same run with payloads left out of the frame checksum, a ping-pong pass,
// --repeat times per size, so each exchange has baselines taken within a second of it (on
// this VM the ping-pong changes mode within seconds). MPI is initialised here, with
// MPI_THREAD_SERIALIZED: the main thread makes the ping-pong's calls while no run is under
// way, the communication thread those of the runs.
void paired(const Options& o) {
  Options unchecked = o;
  unchecked.payload_checksum = sw::PayloadChecksum::never;
  for (const std::size_t kib : o.frame_kib) {
    const int bytes = static_cast<int>(kib << 10);
    const int rounds = static_cast<int>(std::max<std::uint64_t>(16, o.pingpong_bytes / bytes / 2));
    for (unsigned round = 0; round < o.repeat; ++round) {
      const double before = sw::bench::mpi_pingpong_mb_per_second(bytes, rounds, MPI_COMM_WORLD);
      sw::RunReport r;
      const double rate = exchange_once(o, kib, r);
      const double unchecked_rate = exchange_once(unchecked, kib, r);
      const double after = sw::bench::mpi_pingpong_mb_per_second(bytes, rounds, MPI_COMM_WORLD);
      const double baseline = std::max(before, after);
      emit(fmt::format(
          R"({{"bench": "paired", "ranks": {}, "frame_kib": {}, "round": {}, "pingpong_before": {:.1f}, "exchange": {:.1f}, "exchange_unchecked": {:.1f}, "pingpong_after": {:.1f}, "ratio": {:.3f}, "ratio_unchecked": {:.3f}}})",
          r.ranks, kib, round, before, rate, unchecked_rate, after, rate / baseline,
          unchecked_rate / baseline));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"distributed_rate: pipeline P, keyed word count and exchange throughput"};
  Options o;
  const std::map<std::string, sw::Mode> modes{{"inprocess", sw::Mode::in_process},
                                              {"distributed", sw::Mode::distributed}};
  app.add_option("--mode", o.mode, "inprocess or distributed")
      ->transform(CLI::CheckedTransformer(modes, CLI::ignore_case));
  app.add_option("--threads", o.threads, "workers per rank (0: the cores shared by the ranks)");
  app.add_option("--events", o.events, "pipeline P events")->capture_default_str();
  app.add_option("--words", o.words, "word-count words")->capture_default_str();
  app.add_option("--exchange-bytes", o.exchange_bytes, "payload bytes per exchange size")
      ->capture_default_str();
  app.add_option("--frame-kib", o.frame_kib, "exchange frame sizes in KiB")->capture_default_str();
  app.add_option("--pingpong-bytes", o.pingpong_bytes, "paired: bytes each way per ping-pong pass")
      ->capture_default_str();
  app.add_option("--credits", o.credits, "exchange: credits per channel (0: the default, 16)")
      ->capture_default_str();
  app.add_option("--splice-bytes", o.splice_bytes,
                 "exchange: payloads this large and up are sent without a copy into the frame "
                 "(0: always copied)")
      ->capture_default_str();
  app.add_option("--poll-window-us", o.poll_window_us,
                 "microseconds the communication thread keeps polling after its last progress")
      ->capture_default_str();
  const std::map<std::string, sw::PayloadChecksum> checksums{
      {"always", sw::PayloadChecksum::always},
      {"between-hosts", sw::PayloadChecksum::between_hosts},
      {"never", sw::PayloadChecksum::never}};
  app.add_option("--payload-checksum", o.payload_checksum,
                 "always, between-hosts or never: which frames checksum their payload as well "
                 "as their header (DistributedOptions::payload_checksum)")
      ->transform(CLI::CheckedTransformer(checksums, CLI::ignore_case));
  app.add_flag("--worker-thread", o.worker_thread,
               "tasks on a worker thread of their own, also with one worker per rank (not on "
               "the communication thread)");
  app.add_option("--repeat", o.repeat, "rounds; the best is kept")->capture_default_str();
  app.add_option("--suite", o.suite,
                 "pipeline, wordcount, exchange, all (those three), or paired (under mpirun "
                 "-np 2: exchange runs, with and without payload checksums, each pair "
                 "between two raw MPI ping-pong passes; --repeat rounds per size)")
      ->check(CLI::IsMember({"pipeline", "wordcount", "exchange", "all", "paired"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (o.suite == "paired") {
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (provided < MPI_THREAD_SERIALIZED || size != 2 || o.mode != sw::Mode::distributed) {
      std::fprintf(stderr,
                   "distributed_rate: --suite paired runs under mpirun -np 2 with --mode "
                   "distributed (and an MPI with MPI_THREAD_SERIALIZED)\n");
      MPI_Finalize();
      return 2;
    }
    int status = 0;
    try {
      paired(o);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "distributed_rate: %s\n", e.what());
      status = 1;
    }
    MPI_Finalize();
    return status;
  }
  try {
    if (o.suite == "pipeline" || o.suite == "all") pipeline_p(o);
    if (o.suite == "wordcount" || o.suite == "all") word_count(o);
    if (o.suite == "exchange" || o.suite == "all") exchange(o);
  } catch (const sw::RemoteFailure&) {
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "distributed_rate: %s\n", e.what());
    return 1;
  }
  return 0;
}
