// The serde benchmark: NEXMark-shaped bids through the binary and the JSON codec, frames
// against memcpy, allocations per decoded bid, and the buffer pool's reuse in a steady
// pipeline. Prints one JSON object per line; ratios compare figures of the same run.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <streamweave/serde/frame.hpp>
#include <streamweave/serde/json.hpp>
#include <streamweave/streamweave.hpp>
#include <string>
#include <thread>
#include <vector>

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
  CLI::App app{"StreamWeave serde benchmark: binary vs JSON codec, frames vs memcpy"};
  app.add_option("--bids", n, "bids per measurement")->capture_default_str();
  app.add_option("--repeat", repeat, "runs per measurement; the fastest counts")
      ->capture_default_str();
  app.add_option("--pipeline-events", pipeline_events,
                 "events of the steady pipeline whose pool reuse is reported")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (n == 0 || repeat == 0) {
    std::fprintf(stderr, "serde_rate: --bids and --repeat must be at least 1\n");
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
  print_line(fmt::format(R"({{"name": "strings_bytes_per_bid", "value": {:.1f}}})",
                         static_cast<double>(string_bytes) / static_cast<double>(n)));
  if (!same) std::fprintf(stderr, "serde_rate: decoded values differ from the input\n");
  return same ? 0 : 1;
}
