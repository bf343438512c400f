#include "streamweave/operators/csv.hpp"

#include <sys/stat.h>

#include <stdexcept>

#include "streamweave/operators/io/record_reader.hpp"

namespace sw::detail::csv {

void split(std::string_view record, char delimiter, std::vector<Field>& out) {
  out.clear();
  std::size_t at = 0;
  const std::size_t size = record.size();
  while (true) {
    Field field;
    if (at < size && record[at] == '"') {
      field.quoted = true;
      field.begin = at + 1;
      std::size_t i = at + 1;
      while (true) {
        const std::size_t quote = record.find('"', i);
        if (quote == std::string_view::npos) {
          throw std::invalid_argument("the quoted field at character " + std::to_string(at + 1) +
                                      " does not end");
        }
        if (quote + 1 < size && record[quote + 1] == '"') {
          field.escaped = true;
          i = quote + 2;
          continue;
        }
        field.end = quote;
        at = quote + 1;
        break;
      }
      if (at < size && record[at] != delimiter) {
        throw std::invalid_argument("text after the closing quote at character " +
                                    std::to_string(at));
      }
    } else {
      field.begin = at;
      const std::size_t next = record.find(delimiter, at);
      field.end = next == std::string_view::npos ? size : next;
      at = field.end;
    }
    out.push_back(field);
    if (at >= size) return;
    ++at;              // the delimiter
    if (at == size) {  // a trailing delimiter: one more, empty field
      out.push_back(Field{size, size, false, false});
      return;
    }
  }
}

std::string_view text_of(std::string_view record, const Field& field, std::string& scratch) {
  const std::string_view raw = record.substr(field.begin, field.end - field.begin);
  if (!field.escaped) return raw;
  scratch.clear();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    scratch.push_back(raw[i]);
    if (raw[i] == '"') ++i;  // "" is one quote
  }
  return scratch;
}

std::vector<std::string> split_header(std::string_view record, char delimiter) {
  std::vector<Field> fields;
  split(record, delimiter, fields);
  std::vector<std::string> names;
  std::string scratch;
  for (const Field& f : fields) names.emplace_back(text_of(record, f, scratch));
  return names;
}

void append_field(std::string& out, std::string_view text, char delimiter) {
  if (text.find_first_of(std::string{delimiter, '"', '\r', '\n'}) == std::string_view::npos) {
    out.append(text);
    return;
  }
  out.push_back('"');
  for (const char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

std::vector<std::string> read_header(const std::string& node, const std::string& path,
                                     CsvOptions options) {
  struct stat st {};
  if (path == "-" || (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))) {
    throw GraphError("node '" + node + "': " + (path == "-" ? std::string("stdin") : path) +
                     " is a stream, whose header cannot be read before the run: read it with "
                     "CsvOptions{.header = false} (members by position)");
  }
  try {
    return split_header(first_record(path, RecordFormat::csv), options.delimiter);
  } catch (const std::exception& e) {
    throw GraphError("node '" + node + "': cannot read the CSV header: " + e.what());
  }
}

}  // namespace sw::detail::csv
