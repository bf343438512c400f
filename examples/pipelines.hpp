// The sample pipelines the `streamweave` command runs: a registry of graph builders.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <streamweave/streamweave.hpp>
#include <string>
#include <vector>

namespace sw::examples {

struct PipelineConfig {
  std::uint64_t events = 10'000'000;
  // Events per second the sources emit at most (wall clock); 0: as fast as they can. The bids
  // pipeline then stamps its events and measures their latency; NEXMark also takes it as the
  // generator's event rate (Beam's; 10 000 when 0), so event time keeps pace with the clock.
  double rate = 0;
  // NEXMark: the generator's events per second of event time, whatever the pace (0: --rate).
  // A paced run with its own event time (a crash test) gives the same rows as an unpaced one.
  std::int64_t event_rate = 0;
  // Pipelines that read a file (wordcount, logs): the file; empty: a generated sample.
  std::string input;
  // Where pipelines that write their results put them; empty: nowhere (printed only).
  std::string output;
  // fanout: how many consumers share the one source.
  unsigned consumers = 4;
  // Pipelines that read a file: the longest line they take (a longer one is an error: logs
  // skips it, wordcount fails).
  std::size_t max_line_bytes = kDefaultMaxRecordBytes;
  // logs: bad lines skipped before the run fails (ErrorPolicy::skip's limit).
  std::uint64_t max_errors = ErrorPolicy::kUnlimited;
};

// Prints what the pipeline computed, after the run, from what its sinks collected and the
// run's report (merged over every rank in distributed mode, where it is called on rank 0).
using ResultPrinter = std::function<void(std::ostream&, const RunReport&)>;

struct Pipeline {
  std::string name;
  std::string description;
  // Adds the pipeline's nodes to `graph`; the printer reads the results the sinks collect.
  std::function<ResultPrinter(Graph& graph, const PipelineConfig& config)> build;
  bool reads_input = false;    // takes --input
  bool writes_output = false;  // takes --output
  double max_rate = 0;         // the most --rate it takes (0: no limit of its own)
};

// Every sample pipeline, in the order `streamweave list` shows them.
const std::vector<Pipeline>& pipelines();
// The pipeline called `name`, or nullptr.
const Pipeline* find_pipeline(const std::string& name);
// The known names closest to `name` (edit distance), best first.
std::vector<std::string> nearest_pipelines(const std::string& name);
// Of `candidates`, those closest to `name` (edit distance), best first.
std::vector<std::string> nearest(const std::string& name, std::vector<std::string> candidates);

}  // namespace sw::examples
