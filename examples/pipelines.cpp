#include "pipelines.hpp"

#include <fmt/format.h>

#include <mutex>
#include <streamweave/operators/json_lines.hpp>
#include <streamweave/serde/json.hpp>

#include <algorithm>
#include <memory>
#include <numeric>
#include "logs.hpp"
#include "nexmark/queries.hpp"
#include "wordcount.hpp"

namespace sw::examples {
namespace {

struct Bid {
  std::uint64_t auction = 0;
  std::uint64_t bidder = 0;
  std::int64_t price = 0;  // cents
  std::uint64_t ts = 0;
};

Bid make_bid(std::uint64_t i) noexcept {
  return Bid{((i * 0x9E3779B97F4A7C15ULL) >> 40) % 10000, i % 1000,
             static_cast<std::int64_t>(100 + (i * 31) % 10000), i};
}

// Pipeline P: bids -> price in euro -> drop auction % 123 == 0 -> sum per auction.
ResultPrinter build_bids(Graph& g, const PipelineConfig& config) {
  // The sums are gathered into one sink (on rank 0 in distributed mode); the bid count is read
  // from the report, which sums the count sink's instances over every rank.
  auto sums = std::make_shared<std::vector<KeyValue<std::uint64_t, std::int64_t>>>();
  auto total = std::make_shared<std::uint64_t>(0);
  // With a rate, each bid's ts is the wall clock when it was made, and the latency from there
  // to past the hash shuffle is measured (reading the clock per bid would slow the full-speed
  // run down).
  const bool measured = config.rate > 0;
  auto euro = g.source("bids", generate<Bid>(config.events,
                                             [measured](std::uint64_t i) {
                                               Bid b = make_bid(i);
                                               if (measured)
                                                 b.ts = static_cast<std::uint64_t>(wall_clock_ns());
                                               return b;
                                             }))
                  .map("to-euro", [](Bid b) {
                    b.price = b.price * 908 / 1000;
                    return b;
                  });
  euro.sink("count", count(*total));
  auto by_auction = euro.filter("sample", [](const Bid& b) { return b.auction % 123 != 0; })
                        .key_by([](const Bid& b) { return b.auction; });
  auto sum = [](std::int64_t acc, const Bid& b) { return acc + b.price; };
  auto per_auction =
      measured ? by_auction
                     .measure_latency("latency",
                                      [](const Bid& b) { return static_cast<std::int64_t>(b.ts); })
                     .key_by([](const Bid& b) { return b.auction; })
                     .reduce("sum", sum, {.emit = Emit::at_end})
               : by_auction.reduce("sum", sum, {.emit = Emit::at_end});
  per_auction.sink("out", collect(*sums), {.parallelism = 1});
  if (!config.output.empty()) {
    per_auction
        .map("format",
             [](const KeyValue<std::uint64_t, std::int64_t>& kv) {
               return fmt::format("{} {}", kv.key, kv.value);
             })
        .sink("lines", write_lines(config.output));
  }
  // `total` is captured to outlive the run: the count sink writes into it.
  return [sums, total](std::ostream& out, const RunReport& report) {
    std::sort(sums->begin(), sums->end(), [](const auto& a, const auto& b) {
      return a.value != b.value ? a.value > b.value : a.key < b.key;
    });
    const std::int64_t all =
        std::accumulate(sums->begin(), sums->end(), std::int64_t{0},
                        [](std::int64_t acc, const auto& kv) { return acc + kv.value; });
    out << fmt::format("{} bids converted to euro; {} auctions kept, total {:.2f} EUR\n",
                       report.node("count").items_in, sums->size(),
                       static_cast<double>(all) / 100.0);
    out << "top auctions by volume:\n";
    for (std::size_t i = 0; i < std::min<std::size_t>(5, sums->size()); ++i) {
      out << fmt::format("  auction {:>5}  {:>14.2f} EUR\n", (*sums)[i].key,
                         static_cast<double>((*sums)[i].value) / 100.0);
    }
  };
}

// One source, several consumers sharing every batch: the batches' memory does not grow with
// the number of consumers (they all hold the same batches).
ResultPrinter build_fanout(Graph& g, const PipelineConfig& config) {
  // The counts are read from the report: it sums each sink's instances (over every rank).
  auto counts = std::make_shared<std::vector<std::uint64_t>>(config.consumers, 0);
  auto bids =
      g.source("bids", generate<Bid>(config.events, [](std::uint64_t i) { return make_bid(i); }));
  std::vector<std::string> sinks;
  for (unsigned c = 0; c < config.consumers; ++c) {
    const std::string n = std::to_string(c + 1);
    std::uint64_t& count_of = (*counts)[c];
    switch (c % 4) {
      case 0:
        bids.sink("all-" + n, count(count_of));
        break;
      case 1:
        bids.filter("cheap-" + n, [](const Bid& b) { return b.price < 1000; })
            .sink("cheap-count-" + n, count(count_of));
        break;
      case 2:
        bids.filter("dear-" + n, [](const Bid& b) { return b.price >= 9000; })
            .sink("dear-count-" + n, count(count_of));
        break;
      default:
        bids.inspect("audit-" + n, [](const Bid&) {}).sink("audit-count-" + n, count(count_of));
    }
  }
  // `counts` is captured to outlive the run: the count sinks write into it.
  return [counts](std::ostream& out, const RunReport& report) {
    std::uint64_t delivered = 0;
    for (const NodeReport& n : report.nodes) {
      if (n.op == "count") delivered += n.items_in;
    }
    out << fmt::format("{} bids shared by {} consumers; their sinks counted {} items\n",
                       report.events, counts->size(), delivered);
    out << fmt::format(
        "batch memory at most {:.2f} MiB ({} buffers made) | peak RSS {:.1f} MiB: the consumers "
        "share the source's batches, so adding one costs no batch memory\n",
        static_cast<double>(report.buffer_pool.retained_high_water +
                            report.buffer_pool.outstanding_bytes) /
            (1 << 20),
        report.buffer_pool.created, static_cast<double>(report.peak_rss_bytes) / (1 << 20));
  };
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// A NEXMark query: its rows are counted (in the report) and the first few kept to print.
template <class Row>
ResultPrinter nexmark_query(Graph& g, const PipelineConfig& config,
                            Stream<Row> (*query)(Graph&, const nexmark::QueryOptions&)) {
  struct Sample {
    std::mutex mutex;
    std::vector<std::string> rows;
  };
  auto sample = std::make_shared<Sample>();
  nexmark::QueryOptions options;
  options.generator.events = config.events;
  if (config.event_rate > 0) {
    options.generator.event_rate = config.event_rate;
  } else if (config.rate > 0) {
    options.generator.event_rate = static_cast<std::int64_t>(config.rate);
  }
  auto rows = query(g, options);
  rows.sink("out", for_each([sample](const Row& row) {
              std::lock_guard lock(sample->mutex);
              if (sample->rows.size() < 5) sample->rows.push_back(to_json(row));
            }));
  if (!config.output.empty()) rows.sink("rows", write_json_lines(config.output));
  return [sample](std::ostream& out, const RunReport& report) {
    out << fmt::format("{} rows from {} events\n", report.node("out").items_in, report.events);
    for (const std::string& row : sample->rows) out << "  " << row << "\n";
  };
}

template <class Row>
Pipeline query_pipeline(const nexmark::QueryInfo& info,
                        Stream<Row> (*query)(Graph&, const nexmark::QueryOptions&)) {
  return Pipeline{info.name,
                  info.description,
                  [query](Graph& g, const PipelineConfig& config) {
                    return nexmark_query<Row>(g, config, query);
                  },
                  false,
                  true,
                  static_cast<double>(nexmark::kMaxEventRate)};
}

}  // namespace

const std::vector<Pipeline>& pipelines() {
  static const std::vector<Pipeline> all = [] {
    const auto& q = nexmark::queries();
    return std::vector<Pipeline>{
        {"bids", "pipeline P: bids -> price in euro -> filter -> sum per auction (keyed, parallel)",
         build_bids, false, true},
        {"fanout", "one bid source shared by --consumers N consumers (zero-copy fan-out)",
         build_fanout},
        {"wordcount", "words of a text file (--input; default a generated sample) counted per word",
         build_wordcount, true, true},
        {"logs",
         "JSON-lines access logs (--input; default a generated sample) -> requests and "
         "p99 latency per path per minute",
         build_logs, true, true},
        query_pipeline(q[0], nexmark::q0),
        query_pipeline(q[1], nexmark::q1),
        query_pipeline(q[2], nexmark::q2),
        query_pipeline(q[3], nexmark::q3),
        query_pipeline(q[4], nexmark::q4),
        query_pipeline(q[5], nexmark::q5),
        query_pipeline(q[6], nexmark::q6),
        query_pipeline(q[7], nexmark::q7),
        query_pipeline(q[8], nexmark::q8),
    };
  }();
  return all;
}

const Pipeline* find_pipeline(const std::string& name) {
  for (const Pipeline& p : pipelines()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::vector<std::string> nearest(const std::string& name, std::vector<std::string> candidates) {
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const std::string& a, const std::string& b) {
                     return edit_distance(name, a) < edit_distance(name, b);
                   });
  return candidates;
}

std::vector<std::string> nearest_pipelines(const std::string& name) {
  std::vector<std::string> names;
  for (const Pipeline& p : pipelines()) names.push_back(p.name);
  return nearest(name, std::move(names));
}

}  // namespace sw::examples
