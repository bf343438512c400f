// JSON lines (one JSON document per line) into and out of structs described with
// BOOST_DESCRIBE_STRUCT, through the simdjson codec (streamweave/serde/json.hpp).
//
//   auto logs = sw::read_json_lines<Access>(g, "logs", "access.jsonl",
//                                           {.errors = sw::ErrorPolicy::skip()});
//   logs.sink("out", sw::write_json_lines("copy.jsonl"));
//
// read_json_lines adds two nodes, fused into one task: "<name>" (read_lines: Str slices of
// the mapped file, split by byte range) and "<name>.parse" (parse_json<T>, with the given
// options). A bad line follows the parse node's error policy: stop fails the run, skip
// counts it (the report names the first few), dead_letter passes the line and its error on
// `.dead_letters()`. The error names the file, the line, the field and the byte offset in the
// file: "access.jsonl:17: field 'latency_ms': ... (Access, byte 1893)"; standard input and
// pipes are named "<stdin>" and their path. The parse is a step of a compiled chain
// (engine/chain.hpp): under stop or skip, it and the steps after it (with_watermarks, filter,
// map, ...) are one loop over each batch of lines.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "streamweave/engine/graph.hpp"
#include "streamweave/engine/stream.hpp"
#include "streamweave/operators/map.hpp"
#include "streamweave/operators/read_lines.hpp"
#include "streamweave/operators/write_lines.hpp"
#include "streamweave/serde/json.hpp"
#include "streamweave/serde/mapped_file.hpp"

namespace sw {

// A map function: one JSON document (a line) into a T. Throws JsonError; for a line of a
// mapped file the error names "file:line".
template <JsonCodable T>
requires std::default_initializable<T>
struct JsonLineParser {
  T operator()(const Str& line) const {
    try {
      return from_json<T>(line.view());
    } catch (const JsonError&) {
      // Errors are rare: find the line's place only now, and parse again to say it.
      const auto position = file_position(line.bytes());
      if (!position) throw;
      return from_json<T>(line.view(),
                          JsonSource{*position->file, position->line, position->offset});
    }
  }
};

template <JsonCodable T>
requires std::default_initializable<T>
[[nodiscard]] JsonLineParser<T> parse_json() {
  return {};
}

// Reads the JSON-lines file `path` into Ts: see the top of this file. `options` are the parse
// node's; the read node takes its parallelism, and skips too-long lines (`limits`) unless the
// parse node's policy is stop.
// (G is Graph: see read_csv.)
template <JsonCodable T, class G = Graph>
requires std::default_initializable<T>
[[nodiscard]] auto read_json_lines(G& graph, const std::string& name, std::string path,
                                   NodeOptions options = {}, RecordLimits limits = {}) {
  return graph
      .source(name, read_lines(std::move(path), detail::read_limits(limits, options)),
              detail::read_node_options(options))
      .map(name + ".parse", parse_json<T>(), options);
}

namespace detail {

template <JsonCodable T>
class WriteJsonLinesSink final : public FileSinkBase<T> {
 public:
  using FileSinkBase<T>::FileSinkBase;

 private:
  void write(std::string& out, const T& item) override {
    append_json(out, item);
    out.push_back('\n');
  }
};

}  // namespace detail

// write_json_lines(path): a sink writing each item as one line of JSON. Like write_lines:
// one instance, written under a temporary name and renamed at the end; "-" is stdout.
struct WriteJsonLinesSpec {
  static constexpr const char* op_name = "write_json_lines";
  static constexpr unsigned kDefaultParallelism = 1;
  std::string path;

  template <JsonCodable T>
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<detail::WriteJsonLinesSink<T>>(ctx, path);
  }
};

[[nodiscard]] inline WriteJsonLinesSpec write_json_lines(std::string path) {
  return {std::move(path)};
}

}  // namespace sw
