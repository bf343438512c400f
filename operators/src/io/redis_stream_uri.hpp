// Internal to the Redis stream source and sink: the parts of their URI.
#pragma once

#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "retry_backoff.hpp"
#include "streamweave/operators/io/redis_client.hpp"

namespace sw::detail {

inline constexpr std::array<std::string_view, 5> kParameters{"group", "consumer", "field", "drain",
                                                             "malformed"};

struct StreamUri {
  RedisAddress address;
  std::string stream;
  std::string group;
  std::string consumer;  // the prefix of the instances' consumer names
  std::string field;
  bool drain = false;
  bool skip_malformed = false;  // malformed=skip: counted and named in the report, not fatal
};

inline StreamUri parse_stream_uri(const std::string& uri) {
  StreamUri s;
  s.address = RedisAddress::parse(uri);
  s.address.check_query(kParameters);
  if (s.address.path.empty()) {
    throw std::invalid_argument("redis URI '" + s.address.uri() +
                                "': no stream (redis://host:port/STREAM)");
  }
  s.stream = s.address.path;
  s.group = s.address.query_value("group").value_or("streamweave");
  s.consumer = s.address.query_value("consumer").value_or(s.group);
  s.field = s.address.query_value("field").value_or("data");
  const std::string drain = s.address.query_value("drain").value_or("0");
  if (drain != "0" && drain != "1") {
    throw std::invalid_argument(s.address.uri() + ": drain=" + drain + " (expected 0 or 1)");
  }
  s.drain = drain == "1";
  const std::string malformed = s.address.query_value("malformed").value_or("fail");
  if (malformed != "fail" && malformed != "skip") {
    throw std::invalid_argument(s.address.uri() + ": malformed=" + malformed +
                                " (expected fail or skip)");
  }
  s.skip_malformed = malformed == "skip";
  if (s.group.empty() || s.field.empty()) {
    throw std::invalid_argument(s.address.uri() + ": an empty group or field");
  }
  return s;
}

}  // namespace sw::detail
