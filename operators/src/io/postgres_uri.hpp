// Internal to the PostgreSQL source and sink: the parts of their URI.
#pragma once

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "streamweave/operators/io/postgres_client.hpp"

namespace sw::detail {

struct PostgresUri {
  PostgresAddress address;
  std::string table;             // as given: a name, or schema.name
  std::vector<std::string> key;  // sink: upsert on these columns
  bool create = true;            // sink: create a missing table
  std::string query;             // source: instead of a table
  std::string split;             // source: the integer column whose range is split
};

inline PostgresUri parse_postgres_uri(const std::string& uri, bool source) {
  constexpr std::array<std::string_view, 3> kSink{"table", "key", "create"};
  constexpr std::array<std::string_view, 3> kSource{"table", "query", "split"};
  PostgresUri p;
  p.address = PostgresAddress::parse(uri);
  const ServiceUri& a = p.address;
  p.address.check_parameters(source ? std::span<const std::string_view>(kSource)
                                    : std::span<const std::string_view>(kSink));
  p.table = a.query_value("table").value_or("");
  p.query = a.query_value("query").value_or("");
  p.split = a.query_value("split").value_or("");
  if (source ? p.table.empty() == p.query.empty() : p.table.empty()) {
    throw std::invalid_argument(a.uri() + (source ? ": name a table=T or a query=SQL, not both"
                                                  : ": no table (add ?table=T)"));
  }
  const std::string key = a.query_value("key").value_or("");
  for (std::size_t start = 0; start < key.size();) {
    const std::size_t comma = std::min(key.find(',', start), key.size());
    if (comma == start) throw std::invalid_argument(a.uri() + ": an empty name in key=" + key);
    p.key.push_back(key.substr(start, comma - start));
    start = comma + 1;
  }
  const std::string create = a.query_value("create").value_or("1");
  if (create != "0" && create != "1") {
    throw std::invalid_argument(a.uri() + ": create=" + create + " (expected 0 or 1)");
  }
  p.create = create == "1";
  return p;
}

}  // namespace sw::detail
