// CSV (RFC 4180) into and out of structs described with BOOST_DESCRIBE_STRUCT whose members
// are numbers, bool, std::string, Str, Symbol, enums (by name when described) or
// std::optional of those (an empty field is nullopt).
//
//   struct Trip { std::int64_t id; Str city; double km; };
//   BOOST_DESCRIBE_STRUCT(Trip, (), (id, city, km))
//   auto trips = sw::read_csv<Trip>(g, "trips", "trips.csv");       // header names the columns
//   trips.sink("out", sw::write_csv("copy.csv"));
//
// read_csv adds two nodes, fused into one task: "<name>" (read_csv_records: each record a
// Str slice of the mapped file, split by byte range across instances; a quoted field may
// hold the delimiter, quotes ("") and line breaks) and "<name>.parse" (parse_csv<T>, with the
// given options). With a header, members match columns by name, in any order, and a member
// without a column is an error when the graph is built; without one, by position. A bad
// record follows the parse node's error policy and names the file, line and field:
// "trips.csv:9: field 'km' (column 3): 'x1' is not a number".
// Unquoted fields are Str slices of the file, not copies. As in read_json_lines, the parse is
// a step of a compiled chain with what follows it.
#pragma once

#include <boost/describe.hpp>
#include <boost/mp11/algorithm.hpp>
#include <charconv>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "streamweave/engine/graph.hpp"
#include "streamweave/engine/stream.hpp"
#include "streamweave/operators/map.hpp"
#include "streamweave/operators/read_lines.hpp"
#include "streamweave/operators/write_lines.hpp"
#include "streamweave/serde/binary.hpp"
#include "streamweave/serde/decode_error.hpp"
#include "streamweave/serde/mapped_file.hpp"
#include "streamweave/serde/symbol.hpp"
#include "streamweave/serde/type_name.hpp"

namespace sw {

struct CsvOptions {
  char delimiter = ',';
  bool header = true;  // the first record names the columns (read_csv) / is written (write_csv)
  // Reading: the longest record, and what a longer one does (read_lines.hpp). read_csv skips
  // them when its parse node's policy is not stop.
  RecordLimits limits{};
};

// A bad CSV record. what(): "<file>:<line>: field '<member>' (column <n>): <message>".
class CsvError : public DecodeError {
 public:
  CsvError(std::string type, std::size_t offset, const std::string& what)
      : DecodeError(Verbatim{}, std::move(type), offset, what) {}
};

namespace detail::csv {

// A field of a record: [begin, end) of the record, quotes excluded; escaped: holds "".
struct Field {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool quoted = false;
  bool escaped = false;
};

// Splits `record` into `out`. Throws std::invalid_argument for a quoted field that does not
// end, or text after a closing quote.
void split(std::string_view record, char delimiter, std::vector<Field>& out);
// The text of a field, with "" made " (into `scratch` when it has to be).
std::string_view text_of(std::string_view record, const Field& field, std::string& scratch);
// The fields of a header record, unquoted.
std::vector<std::string> split_header(std::string_view record, char delimiter);
// Appends `text` as one field, quoted when it holds the delimiter, a quote or a line break.
void append_field(std::string& out, std::string_view text, char delimiter);

using detail::is_optional;  // serde/binary.hpp's

template <class T>
constexpr bool scalar() noexcept {
  return std::is_arithmetic_v<T> || std::is_enum_v<T> || std::is_same_v<T, std::string> ||
         std::is_same_v<T, Str> || std::is_same_v<T, Symbol>;
}

template <class T>
constexpr bool field_type() noexcept {
  if constexpr (is_optional<T>::value) {
    return scalar<typename T::value_type>();
  } else {
    return scalar<T>();
  }
}

template <class T>
constexpr bool record_type() noexcept {
  if constexpr (boost::describe::has_describe_members<T>::value) {
    bool all = true;
    using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
    boost::mp11::mp_for_each<Members>([&](auto member) {
      using M = std::remove_cvref_t<decltype(std::declval<T&>().*member.pointer)>;
      all = all && field_type<M>();
    });
    return all;
  } else {
    return false;
  }
}

template <class T>
void parse_number(std::string_view text, T& out) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') ++begin;
  const auto [ptr, ec] = std::from_chars(begin, end, out);
  if (ec == std::errc::result_out_of_range) {
    throw std::invalid_argument("'" + std::string(text) + "' is out of range for " +
                                std::string(type_name<T>()));
  }
  if (ec != std::errc() || ptr != end || begin == end) {
    throw std::invalid_argument("'" + std::string(text) + "' is not " +
                                (std::is_integral_v<T> ? "an integer" : "a number"));
  }
}

// Reads `field` of `record` into `out`. Throws std::invalid_argument saying what is wrong.
template <class M>
void read_field(const Str& record, const Field& field, std::string& scratch, M& out) {
  const std::string_view text = text_of(record.view(), field, scratch);
  if constexpr (is_optional<M>::value) {
    if (text.empty() && !field.quoted) {
      out.reset();
    } else {
      read_field(record, field, scratch, out.emplace());
    }
  } else if constexpr (std::is_same_v<M, bool>) {
    if (text == "true" || text == "1" || text == "TRUE" || text == "True") {
      out = true;
    } else if (text == "false" || text == "0" || text == "FALSE" || text == "False") {
      out = false;
    } else {
      throw std::invalid_argument("'" + std::string(text) + "' is not true or false");
    }
  } else if constexpr (std::is_arithmetic_v<M>) {
    parse_number(text, out);
  } else if constexpr (std::is_enum_v<M>) {
    if constexpr (boost::describe::has_describe_enumerators<M>::value) {
      if (!boost::describe::enum_from_string(std::string(text).c_str(), out)) {
        throw std::invalid_argument("'" + std::string(text) + "' is not a " +
                                    std::string(type_name<M>()));
      }
    } else {
      std::underlying_type_t<M> number{};
      parse_number(text, number);
      out = static_cast<M>(number);
    }
  } else if constexpr (std::is_same_v<M, std::string>) {
    out.assign(text);
  } else if constexpr (std::is_same_v<M, Str>) {
    out = field.escaped ? Str(text) : record.substr(field.begin, field.end);
  } else {
    out = Symbol(text);
  }
}

template <class M>
void write_field(std::string& out, const M& value, char delimiter) {
  if constexpr (is_optional<M>::value) {
    if (value) write_field(out, *value, delimiter);
  } else if constexpr (std::is_arithmetic_v<M>) {
    append_text(out, value);  // write_lines's: bool as true/false, numbers shortest
  } else if constexpr (std::is_enum_v<M>) {
    const char* name = nullptr;
    if constexpr (boost::describe::has_describe_enumerators<M>::value) {
      name = boost::describe::enum_to_string(value, nullptr);
    }
    if (name != nullptr) {
      append_field(out, name, delimiter);
    } else {
      write_field(out, static_cast<std::underlying_type_t<M>>(value), delimiter);
    }
  } else if constexpr (std::is_same_v<M, std::string>) {
    append_field(out, value, delimiter);
  } else {
    append_field(out, value.view(), delimiter);
  }
}

}  // namespace detail::csv

// A struct read_csv and write_csv can handle: see the top of this file.
template <class T>
concept CsvRecord = std::default_initializable<T> && detail::csv::record_type<T>();

// A map function: one CSV record (a Str) into a T. Copies hold their own scratch space: each
// parallel instance of the parse node has one.
template <CsvRecord T>
class CsvParser {
 public:
  // `columns`: the header's names, or empty to match members by position. `source` names the
  // input in errors when a record is not a slice of a mapped file (a stream). Throws
  // std::invalid_argument when a member has no column.
  CsvParser(const std::vector<std::string>& columns, CsvOptions options, std::string source)
      : delimiter_(options.delimiter), source_(std::move(source)) {
    std::size_t index = 0;
    boost::mp11::mp_for_each<Members>([&](auto member) {
      using M = std::remove_cvref_t<decltype(std::declval<T&>().*member.pointer)>;
      std::size_t column = index;
      if (!columns.empty()) {
        column = columns.size();
        for (std::size_t c = 0; c < columns.size(); ++c) {
          if (columns[c] == member.name) column = c;
        }
        if (column == columns.size() && !detail::is_optional<M>::value) {
          std::string known;
          for (const auto& c : columns) known += (known.empty() ? "" : ", ") + c;
          throw std::invalid_argument(source_ + ": the header has no column '" + member.name +
                                      "' for " + std::string(type_name<T>()) +
                                      " (columns: " + known + ")");
        }
      }
      columns_of_members_.push_back(column);
      ++index;
    });
    columns_ = columns.empty() ? index : columns.size();
  }

  T operator()(const Str& record) {
    T value{};
    try {
      detail::csv::split(record.view(), delimiter_, fields_);
    } catch (const std::invalid_argument& e) {
      fail(record, nullptr, 0, e.what());
    }
    if (fields_.size() != columns_) {
      fail(record, nullptr, 0,
           "the record has " + std::to_string(fields_.size()) + " fields, expected " +
               std::to_string(columns_));
    }
    std::size_t index = 0;
    boost::mp11::mp_for_each<Members>([&](auto member) {
      const std::size_t column = columns_of_members_[index++];
      if (column >= fields_.size()) return;  // an optional member without a column
      try {
        detail::csv::read_field(record, fields_[column], scratch_, value.*member.pointer);
      } catch (const std::invalid_argument& e) {
        fail(record, member.name, column, e.what());
      }
    });
    return value;
  }

 private:
  using Members = boost::describe::describe_members<T, boost::describe::mod_public>;

  [[noreturn]] void fail(const Str& record, const char* member, std::size_t column,
                         const std::string& message) const {
    const auto position = file_position(record.bytes());
    std::string what = position ? *position->file + ":" + std::to_string(position->line) +
                                      " (byte " + std::to_string(position->offset) + ")"
                                : source_;
    if (member != nullptr) {
      what += std::string(": field '") + member + "' (column " + std::to_string(column + 1) + ")";
    }
    what += ": " + message;
    throw CsvError(std::string(type_name<T>()), position ? position->offset : 0, what);
  }

  std::vector<std::size_t> columns_of_members_;
  std::size_t columns_ = 0;
  char delimiter_;
  std::string source_;
  std::vector<detail::csv::Field> fields_;
  std::string scratch_;
};

// read_csv_records(path, options): a source of the file's CSV records as Str slices (the
// header, when options.header, skipped); split by byte range like read_lines.
struct ReadCsvRecordsSpec {
  using value_type = Str;
  static constexpr const char* op_name = "read_csv_records";
  std::string path;
  CsvOptions options;

  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<detail::RecordSource>(ctx, path, detail::RecordFormat::csv,
                                                  options.header, options.limits);
  }
};

[[nodiscard]] inline ReadCsvRecordsSpec read_csv_records(std::string path,
                                                         CsvOptions options = {}) {
  return {std::move(path), options};
}

namespace detail::csv {
// The header of the CSV file at `path`, for the graph `node`: throws GraphError when it
// cannot be read.
std::vector<std::string> read_header(const std::string& node, const std::string& path,
                                     CsvOptions options);
}  // namespace detail::csv

// Reads the CSV file `path` into Ts: see the top of this file. The header (if any) is read
// when the graph is built: a missing file or column is a GraphError naming the node. A
// stream ("-", a pipe) has no header to read in advance: use options.header = false.
//
// (G is Graph: a parameter, so that the streams built here are only made where read_csv is
// used, after the facade has given streams their operators' methods.)
template <CsvRecord T, class G = Graph>
[[nodiscard]] auto read_csv(G& graph, const std::string& name, std::string path,
                            CsvOptions csv = {}, NodeOptions options = {}) {
  std::vector<std::string> columns;
  if (csv.header) columns = detail::csv::read_header(name, path, csv);
  std::optional<CsvParser<T>> parser;
  try {
    parser.emplace(columns, csv, path);
  } catch (const std::invalid_argument& e) {
    throw GraphError("node '" + name + "': " + e.what());
  }
  csv.limits = detail::read_limits(csv.limits, options);
  return graph
      .source(name, read_csv_records(std::move(path), csv), detail::read_node_options(options))
      .map(name + ".parse", std::move(*parser), options);
}

namespace detail {

template <CsvRecord T>
class WriteCsvSink final : public FileSinkBase<T> {
 public:
  WriteCsvSink(const InstanceContext& ctx, std::string path, CsvOptions options)
      : FileSinkBase<T>(ctx, std::move(path)), options_(options) {}

 private:
  using Members = boost::describe::describe_members<T, boost::describe::mod_public>;

  void on_open(std::string& out) override {
    if (!options_.header) return;
    bool first = true;
    boost::mp11::mp_for_each<Members>([&](auto member) {
      if (!first) out.push_back(options_.delimiter);
      first = false;
      csv::append_field(out, member.name, options_.delimiter);
    });
    out.push_back('\n');
  }
  void write(std::string& out, const T& item) override {
    bool first = true;
    boost::mp11::mp_for_each<Members>([&](auto member) {
      if (!first) out.push_back(options_.delimiter);
      first = false;
      csv::write_field(out, item.*member.pointer, options_.delimiter);
    });
    out.push_back('\n');
  }

  CsvOptions options_;
};

}  // namespace detail

// write_csv(path, options): a sink writing each item as a CSV record (a header first when
// options.header). Like write_lines: one instance, renamed into place at the end; "-" is
// stdout.
struct WriteCsvSpec {
  static constexpr const char* op_name = "write_csv";
  static constexpr unsigned kDefaultParallelism = 1;
  std::string path;
  CsvOptions options;

  template <CsvRecord T>
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<detail::WriteCsvSink<T>>(ctx, path, options);
  }
};

[[nodiscard]] inline WriteCsvSpec write_csv(std::string path, CsvOptions options = {}) {
  return {std::move(path), options};
}

}  // namespace sw
