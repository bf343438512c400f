// The serde benchmark: NEXMark-shaped bids through the binary and the JSON codec, frames
// against memcpy, allocations per decoded bid, the buffer pool's reuse in a steady pipeline,
// and a JSON-lines file through parse -> event time -> filter, compiled into one loop, as
// separate nodes, and written by hand. Prints one JSON object per line; ratios compare
// figures of the same run.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <span>
#include <streamweave/operators/json_lines.hpp>
#include <streamweave/serde/frame.hpp>
#include <streamweave/serde/json.hpp>
#include <streamweave/serde/mapped_file.hpp>
#include <streamweave/streamweave.hpp>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "alloc_counter.hpp"

namespace {

// NEXMark's Bid with strings as owned std::string (what a JSON-first system holds) ...
struct Bid {
  std::uint64_t auction = 0;
  std::uint64_t bidder = 0;
  std::uint64_t price = 0;
  std::uint64_t date_time = 0;
  std::string channel;
  std::string url;
  std::string extra;
  bool operator==(const Bid&) const = default;
};
BOOST_DESCRIBE_STRUCT(Bid, (), (auction, bidder, price, date_time, channel, url, extra))

// ... and with strings as slices of the frame they arrived in.
struct BidStr {
  std::uint64_t auction = 0;
  std::uint64_t bidder = 0;
  std::uint64_t price = 0;
  std::uint64_t date_time = 0;
  sw::Str channel;
  sw::Str url;
  sw::Str extra;
};

// A small record, so that what a pipeline adds to the parse shows.
struct Reading {
  std::uint64_t sensor = 0;
  std::int64_t time = 0;
  std::int64_t value = 0;
};
BOOST_DESCRIBE_STRUCT(Reading, (), (sensor, time, value))

bool kept(const Reading& r) {
  return r.value % 3 != 0;
}

// The JSON-lines file through read_json_lines -> with_watermarks -> filter -> a sum, in one
// task on one thread, the parse under `errors`. `compiled`: as a user writes it; otherwise
// each node runs its own pass over each batch (the stream handed on as a plain sw::Stream,
// which ends the chain).
std::int64_t json_pipeline(const std::string& path, bool compiled, sw::ErrorPolicy errors) {
  sw::Graph g{"json-lines"};
  std::int64_t sum = 0;
  const auto time = [](const Reading& r) { return r.time; };
  auto sum_into = sw::for_each([&sum](const Reading& r) { sum += r.value; });
  auto parsed =
      sw::read_json_lines<Reading>(g, "readings", path, {.parallelism = 1, .errors = errors});
  if (compiled) {
    parsed.with_watermarks("time", time).filter("kept", kept).sink("sum", sum_into);
  } else {
    const sw::Stream<Reading> plain = parsed;
    const sw::Stream<Reading> timed = plain.with_watermarks("time", time);
    timed.filter("kept", kept).sink("sum", sum_into);
  }
  sw::run(g, {.threads = 1});
  return sum;
}

// The same by hand: the file mapped, each line parsed, the newest time kept, the filter, the sum.
std::int64_t json_by_hand(const std::string& path, std::int64_t& newest) {
  const sw::Bytes file = sw::map_file(path);
  const std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());
  std::int64_t sum = 0;
  for (std::size_t begin = 0; begin < text.size();) {
    const std::size_t end = text.find('\n', begin);
    const Reading r = sw::from_json<Reading>(text.substr(begin, end - begin));
    newest = std::max(newest, r.time);
    if (kept(r)) sum += r.value;
    begin = end + 1;
  }
  return sum;
}

Bid make_bid(std::uint64_t i) {
  static const char* const kChannels[] = {"Google", "Facebook", "Baidu", "Apple"};
  Bid b;
  b.auction = 1000 + (i * 7) % 5000;
  b.bidder = 2000 + (i * 13) % 10000;
  b.price = 100 + (i * 31) % 100000;
  b.date_time = 1'700'000'000'000 + i * 10;
  b.channel = kChannels[i % 4];
  b.url = fmt::format("https://www.nexmark.com/{}/item.htm?query=1&channel_id={}", b.channel,
                      (i * 2654435761u) % 1000000);
  b.extra = std::string(40 + i % 60, static_cast<char>('a' + i % 26));
  return b;
}

double seconds_of(const std::function<void()>& run, unsigned repeat) {
  double best = std::numeric_limits<double>::infinity();
  for (unsigned r = 0; r < repeat; ++r) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto start = std::chrono::steady_clock::now();
    run();
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

void print_line(const std::string& json) {
  std::printf("%s\n", json.c_str());
}

void print_check(const std::string& name, double value, const char* op, double target) {
  const bool met = std::string(op) == ">=" ? value >= target : value <= target;
  print_line(fmt::format(R"({{"name": "{}", "value": {:.4g}, "target": "{} {}", "met": {}}})", name,
                         value, op, target, met));
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 200'000;
  unsigned repeat = 5;
  std::uint64_t pipeline_events = 5'000'000;
  std::uint64_t json_lines = 2'000'000;
  CLI::App app{"StreamWeave serde benchmark: binary vs JSON codec, frames vs memcpy"};
  app.add_option("--bids", n, "bids per measurement")->capture_default_str();
  app.add_option("--repeat", repeat, "runs per measurement; the fastest counts")
      ->capture_default_str();
  app.add_option("--pipeline-events", pipeline_events,
                 "events of the steady pipeline whose pool reuse is reported")
      ->capture_default_str();
  app.add_option("--json-lines", json_lines,
                 "lines of the JSON-lines file read through parse -> event time -> filter")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (n == 0 || repeat == 0 || json_lines == 0) {
    std::fprintf(stderr, "serde_rate: --bids, --repeat and --json-lines must be at least 1\n");
    return 2;
  }

  std::vector<Bid> bids;
  bids.reserve(n);
  std::size_t string_bytes = 0;
  for (std::size_t i = 0; i < n; ++i) {
    bids.push_back(make_bid(i));
    string_bytes += bids.back().channel.size() + bids.back().url.size() + bids.back().extra.size();
  }
  bool same = true;

  // Binary: encode every bid into one buffer, decode them all back.
  sw::BytesMut scratch(n * 256);
  sw::Bytes binary;
  std::vector<Bid> decoded(n);
  const double binary_s = seconds_of(
      [&] {
        scratch.clear();
        for (const Bid& b : bids) sw::encode(scratch, b);
        binary = sw::Bytes(nullptr, scratch.data(), scratch.size());  // a view, no copy
        sw::BinaryReader reader(binary);
        for (Bid& b : decoded) reader.read(b);
      },
      repeat);
  same = same && decoded == bids;
  const std::size_t binary_bytes = scratch.size();

  // JSON lines: write every bid, parse every line back.
  std::string text;
  std::vector<std::size_t> line_ends;
  std::vector<Bid> from_text(n);
  const double json_s = seconds_of(
      [&] {
        text.clear();
        line_ends.clear();
        for (const Bid& b : bids) {
          sw::append_json(text, b);
          text.push_back('\n');
          line_ends.push_back(text.size());
        }
        std::size_t begin = 0;
        for (std::size_t i = 0; i < n; ++i) {
          from_text[i] =
              sw::from_json<Bid>(std::string_view(text).substr(begin, line_ends[i] - 1 - begin));
          begin = line_ends[i];
        }
      },
      repeat);
  same = same && from_text == bids;

  const double binary_rate = static_cast<double>(n) / binary_s;
  const double json_rate = static_cast<double>(n) / json_s;
  print_line(fmt::format(
      R"({{"name": "binary_codec", "bids": {}, "bytes": {}, "seconds": {:.6f}, "bids_per_s": {:.0f}}})",
      n, binary_bytes, binary_s, binary_rate));
  print_line(fmt::format(
      R"({{"name": "json_codec", "bids": {}, "bytes": {}, "seconds": {:.6f}, "bids_per_s": {:.0f}}})",
      n, text.size(), json_s, json_rate));
  print_check("binary_vs_json_encode_decode", binary_rate / json_rate, ">=", 5.0);

  // Frames of BidStr: encode, then parse + decode with strings as slices of the frames.
  std::vector<BidStr> with_str;
  with_str.reserve(n);
  for (const Bid& b : bids) {
    with_str.push_back(BidStr{b.auction, b.bidder, b.price, b.date_time, sw::Str(b.channel),
                              sw::Str(b.url), sw::Str(b.extra)});
  }
  std::vector<sw::Bytes> frames;
  frames.reserve(n / 100 + 16);
  const double frame_encode_s = seconds_of(
      [&] {
        frames.clear();
        sw::encode_frames<BidStr>(with_str, sw::FrameHeader{}, frames);
      },
      repeat);
  std::size_t frame_bytes = 0;
  for (const sw::Bytes& f : frames) frame_bytes += f.size();
  std::vector<BidStr> back;
  back.reserve(n);
  std::uint64_t decode_allocations = std::numeric_limits<std::uint64_t>::max();
  const double frame_decode_s = seconds_of(
      [&] {
        back.clear();  // keeps its capacity: the loop below must not allocate
        const std::uint64_t before = sw::bench::AllocStats::allocations.load();
        for (const sw::Bytes& f : frames) sw::decode_frame(sw::parse_frame(f), back);
        decode_allocations =
            std::min(decode_allocations, sw::bench::AllocStats::allocations.load() - before);
      },
      repeat);
  same = same && back.size() == n && back[n / 2].url == std::string_view(bids[n / 2].url);
  std::vector<std::byte> copy(frame_bytes);
  const double memcpy_s = seconds_of(
      [&] {
        std::size_t at = 0;
        for (const sw::Bytes& f : frames) {
          std::memcpy(copy.data() + at, f.data(), f.size());
          at += f.size();
        }
      },
      repeat);
  const double gb = static_cast<double>(frame_bytes) / 1e9;
  print_line(fmt::format(
      R"({{"name": "frames", "frames": {}, "bytes": {}, "encode_gb_per_s": {:.3f}, "decode_gb_per_s": {:.3f}, "memcpy_gb_per_s": {:.3f}, "encode_vs_memcpy": {:.4f}, "decode_vs_memcpy": {:.4f}}})",
      frames.size(), frame_bytes, gb / frame_encode_s, gb / frame_decode_s, gb / memcpy_s,
      memcpy_s / frame_encode_s, memcpy_s / frame_decode_s));
  print_check("heap_allocations_per_decoded_bid_with_str",
              static_cast<double>(decode_allocations) / static_cast<double>(n), "<=", 0.0);

  // The pool in a steady pipeline: generate -> map -> count, unchained, so every batch crosses
  // a channel and its storage goes back to the pool. The first run fills the (global) pool,
  // the second shows the steady state.
  for (const char* phase : {"pipeline_buffer_pool_first_run", "pipeline_buffer_pool_steady"}) {
    sw::Graph g{"steady"};
    std::uint64_t counted = 0;
    g.source("bids",
             sw::generate<std::uint64_t>(pipeline_events, [](std::uint64_t i) { return i; }))
        .map("price", [](std::uint64_t i) { return i * 908 / 1000; }, {.chain = false})
        .sink("count", sw::count(counted));
    const sw::RunReport r = sw::run(g, {.threads = 2});
    same = same && counted == pipeline_events;
    print_line(fmt::format(
        R"({{"name": "{}", "events": {}, "acquired": {}, "created": {}, "reuse_rate": {:.5f}}})",
        phase, pipeline_events, r.buffer_pool.acquired, r.buffer_pool.created,
        r.buffer_pool.reuse_rate()));
    if (std::string_view(phase) == "pipeline_buffer_pool_steady") {
      print_check("buffer_pool_reuse_rate_steady_pipeline", r.buffer_pool.reuse_rate(), ">=", 0.99);
    }
  }
  // JSON lines through a pipeline: readings, parse -> event time -> filter -> sum.
  {
    const std::string path =
        (std::filesystem::temp_directory_path() / fmt::format("serde-rate-{}.jsonl", ::getpid()))
            .string();
    {
      std::string lines;
      for (std::uint64_t i = 0; i < json_lines; ++i) {
        const Reading r{i % 1000, static_cast<std::int64_t>(1'700'000'000'000 + i * 3),
                        static_cast<std::int64_t>((i * 2654435761u) % 100000)};
        sw::append_json(lines, r);
        lines.push_back('\n');
      }
      std::ofstream(path, std::ios::binary) << lines;
    }
    // By hand; compiled under skip (the usual policy of a reader); the same nodes apart under
    // stop (the cost of the passes alone) and under skip (the parse item by item, as it ran
    // before skip compiled).
    const sw::ErrorPolicy skip = sw::ErrorPolicy::skip();
    const sw::ErrorPolicy stop = sw::ErrorPolicy::stop();
    struct Contender {
      const char* name;
      std::function<std::int64_t()> run;
      double seconds = std::numeric_limits<double>::infinity();
      std::int64_t sum = 0;
    };
    std::int64_t newest = 0;
    std::vector<Contender> contenders{
        {"json_lines_by_hand", [&] { return json_by_hand(path, newest); }},
        {"json_lines_compiled", [&] { return json_pipeline(path, true, skip); }},
        {"json_lines_separate_nodes_stop", [&] { return json_pipeline(path, false, stop); }},
        {"json_lines_separate_nodes_skip", [&] { return json_pipeline(path, false, skip); }}};
    for (unsigned r = 0; r < repeat; ++r) {  // alternating, the fastest of each counts
      for (Contender& c : contenders) {
        c.seconds = std::min(c.seconds, seconds_of([&] { c.sum = c.run(); }, 1));
      }
    }
    std::filesystem::remove(path);
    for (const Contender& c : contenders) {
      same = same && c.sum == contenders[0].sum;
      print_line(
          fmt::format(R"({{"name": "{}", "lines": {}, "seconds": {:.6f}, "lines_per_s": {:.0f}}})",
                      c.name, json_lines, c.seconds, static_cast<double>(json_lines) / c.seconds));
    }
    const double compiled_s = contenders[1].seconds;
    print_check("json_lines_compiled_vs_by_hand", contenders[0].seconds / compiled_s, ">=", 0.9);
    for (const Contender& c : std::span(contenders).subspan(2)) {
      print_line(fmt::format(R"({{"name": "json_lines_compiled_vs_{}", "value": {:.4g}}})",
                             std::string_view(c.name).substr(11), c.seconds / compiled_s));
    }
  }

  print_line(fmt::format(R"({{"name": "strings_bytes_per_bid", "value": {:.1f}}})",
                         static_cast<double>(string_bytes) / static_cast<double>(n)));
  if (!same) std::fprintf(stderr, "serde_rate: decoded values differ from the input\n");
  return same ? 0 : 1;
}
