// Record types the fuzz targets decode: every kind of field the codecs support.
#pragma once

#include <streamweave/serde/json.hpp>

namespace fuzz {

enum class Kind : std::uint8_t { a, b, c };
BOOST_DESCRIBE_ENUM(Kind, a, b, c)

struct Inner {
  std::int32_t x = 0;
  std::optional<std::string> label;
  bool operator==(const Inner&) const = default;
};
BOOST_DESCRIBE_STRUCT(Inner, (), (x, label))

struct Record {
  std::uint64_t id = 0;
  std::int64_t price = 0;
  double ratio = 0;
  bool flag = false;
  Kind kind = Kind::a;
  std::string text;
  sw::Str url;
  sw::Symbol city;
  std::vector<std::int64_t> numbers;
  std::vector<Inner> inners;
  std::array<std::uint16_t, 2> pair{};
  std::optional<Inner> maybe;
  bool operator==(const Record&) const = default;
};
BOOST_DESCRIBE_STRUCT(Record, (),
                      (id, price, ratio, flag, kind, text, url, city, numbers, inners, pair, maybe))

// Binary only: variants and tuples have no JSON form.
struct WireRecord {
  Record record;
  std::variant<std::monostate, std::int32_t, std::string, Inner> either;
  std::tuple<std::uint8_t, sw::Bytes> tail;
};

}  // namespace fuzz
