#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <streamweave/serde/binary.hpp>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

namespace test_types {

enum class Side : std::uint8_t { buy = 1, sell = 2 };

struct Point {
  double x = 0;
  double y = 0;
  bool operator==(const Point&) const = default;
};

struct Bid {
  std::uint64_t auction = 0;
  std::int64_t price = 0;
  Side side = Side::buy;
  bool urgent = false;
  std::string channel;
  std::vector<std::int32_t> history;
  std::optional<std::string> note;
  std::array<std::uint16_t, 3> codes{};
  std::pair<int, std::string> tag;
  std::variant<std::monostate, std::int64_t, std::string, Point> extra;
  std::vector<Point> path;
  std::tuple<float, char, std::vector<std::string>> misc;
  bool operator==(const Bid&) const = default;
};

// Not an aggregate: joins the codec by free functions found by ADL.
class Money {
 public:
  Money() = default;
  explicit Money(std::int64_t cents) : cents_(cents) {}
  [[nodiscard]] std::int64_t cents() const { return cents_; }
  bool operator==(const Money&) const = default;

 private:
  std::int64_t cents_ = 0;
};
void sw_encode(sw::BinaryWriter& w, const Money& m) {
  w.write_varint(static_cast<std::uint64_t>(m.cents()));
}
void sw_decode(sw::BinaryReader& r, Money& m) {
  m = Money(static_cast<std::int64_t>(r.read_varint<Money>()));
}

struct Wallet {
  Money balance;
  std::vector<Money> history;
  bool operator==(const Wallet&) const = default;
};

struct NotCodable {
  NotCodable(int) {}  // not an aggregate, no sw_encode
};

}  // namespace test_types

using namespace test_types;

static_assert(sw::BinaryCodable<Bid>);
static_assert(sw::BinaryCodable<Wallet>);
static_assert(sw::BinaryCodable<std::vector<std::optional<std::tuple<int, std::string>>>>);
static_assert(!sw::BinaryCodable<NotCodable>);
static_assert(!sw::BinaryCodable<std::vector<NotCodable>>);
static_assert(!sw::BinaryCodable<int*>);
static_assert(!sw::BinaryCodable<std::map<int, int>>);
static_assert(sw::type_name<std::vector<int>>().find("std::vector<int") == 0);

namespace {

std::string random_string(std::mt19937_64& rng) {
  std::string s(rng() % 40, '\0');
  for (char& c : s) c = static_cast<char>(rng() % 256);  // any byte, UTF-8 or not
  return s;
}

Bid random_bid(std::mt19937_64& rng) {
  Bid b;
  b.auction = rng();
  b.price = static_cast<std::int64_t>(rng());
  b.side = rng() % 2 ? Side::buy : Side::sell;
  b.urgent = rng() % 2 == 0;
  b.channel = random_string(rng);
  b.history.resize(rng() % 10);
  for (auto& h : b.history) h = static_cast<std::int32_t>(rng());
  if (rng() % 2) b.note = random_string(rng);
  for (auto& c : b.codes) c = static_cast<std::uint16_t>(rng());
  b.tag = {static_cast<int>(rng()), random_string(rng)};
  switch (rng() % 4) {
    case 0:
      b.extra = std::monostate{};
      break;
    case 1:
      b.extra = static_cast<std::int64_t>(rng());
      break;
    case 2:
      b.extra = random_string(rng);
      break;
    default:
      b.extra = Point{static_cast<double>(rng()) / 7.0, -1.5};
      break;
  }
  b.path.resize(rng() % 4);
  for (auto& p : b.path) p = Point{static_cast<double>(rng() % 1000) / 3.0, 2.25};
  std::get<0>(b.misc) = static_cast<float>(rng() % 100000) / 8.0f;
  std::get<1>(b.misc) = static_cast<char>(rng());
  std::get<2>(b.misc).resize(rng() % 3);
  for (auto& s : std::get<2>(b.misc)) s = random_string(rng);
  return b;
}

}  // namespace

TEST_CASE("Numbers are fixed-width little-endian, lengths are varints", "[serde][binary]") {
  const sw::Bytes a = sw::encode(std::uint32_t{0x01020304});
  REQUIRE(a.size() == 4);
  REQUIRE(a.data()[0] == std::byte{0x04});
  REQUIRE(a.data()[3] == std::byte{0x01});

  const sw::Bytes s = sw::encode(std::string(300, 'x'));
  REQUIRE(s.size() == 2 + 300);
  REQUIRE(s.data()[0] == std::byte{0xac});  // 300 = 0b10'0101100
  REQUIRE(s.data()[1] == std::byte{0x02});

  REQUIRE(sw::encode(true).size() == 1);
  REQUIRE(sw::encode(Side::sell).data()[0] == std::byte{2});
  REQUIRE(sw::encode(std::optional<int>{}).size() == 1);
  REQUIRE(sw::encode(Point{1, 2}).size() == 16);
}

TEST_CASE("Extreme values round-trip", "[serde][binary]") {
  using L = std::numeric_limits<std::int64_t>;
  for (std::int64_t v : {L::min(), L::max(), std::int64_t{0}, std::int64_t{-1}}) {
    REQUIRE(sw::decode<std::int64_t>(sw::encode(v)) == v);
  }
  REQUIRE(sw::decode<std::uint64_t>(sw::encode(~std::uint64_t{0})) == ~std::uint64_t{0});
  const double nan_bits = std::numeric_limits<double>::quiet_NaN();
  REQUIRE(std::isnan(sw::decode<double>(sw::encode(nan_bits))));
  REQUIRE(sw::decode<double>(sw::encode(-0.0)) == 0.0);
  REQUIRE(std::signbit(sw::decode<double>(sw::encode(-0.0))));
  REQUIRE(sw::decode<float>(sw::encode(std::numeric_limits<float>::denorm_min())) ==
          std::numeric_limits<float>::denorm_min());
  REQUIRE(sw::decode<std::string>(sw::encode(std::string{})).empty());
}

TEST_CASE("Random values of every supported type round-trip", "[serde][binary]") {
  std::mt19937_64 rng(GENERATE(1u, 2u, 3u));
  for (int i = 0; i < 200; ++i) {
    const Bid bid = random_bid(rng);
    REQUIRE(sw::decode<Bid>(sw::encode(bid)) == bid);
  }
  const std::vector<Bid> many = {random_bid(rng), random_bid(rng), random_bid(rng)};
  REQUIRE(sw::decode<std::vector<Bid>>(sw::encode(many)) == many);
  const Wallet w{Money(-12345), {Money(1), Money(1LL << 40)}};
  REQUIRE(sw::decode<Wallet>(sw::encode(w)) == w);
}

TEST_CASE("Every truncation of an encoded value is a DecodeError, never a crash",
          "[serde][binary]") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20; ++i) {
    const sw::Bytes whole = sw::encode(random_bid(rng));
    for (std::size_t cut = 0; cut < whole.size(); ++cut) {
      // A copy, so that ASan catches any read past the cut.
      const sw::Bytes prefix = sw::Bytes::copy_of(whole.slice(0, cut).span());
      REQUIRE_THROWS_AS(sw::decode<Bid>(prefix), sw::DecodeError);
    }
  }
}

TEST_CASE("Corrupt input names the type and the byte offset", "[serde][binary]") {
  // A string claiming 200 bytes with 3 left.
  std::vector<std::byte> raw = {std::byte{0xc8}, std::byte{0x01}, std::byte{'a'}, std::byte{'b'},
                                std::byte{'c'}};
  try {
    (void)sw::decode<std::string>(sw::Bytes::copy_of(raw));
    FAIL("no DecodeError");
  } catch (const sw::DecodeError& e) {
    REQUIRE(e.offset() == 0);
    REQUIRE_THAT(e.what(), Catch::Contains("length 200 exceeds the 3 bytes left"));
    REQUIRE_THAT(e.type(), Catch::Contains("std::__cxx11::basic_string"));
  }

  // bool must be 0 or 1; the offset is that of the bad byte.
  std::pair<int, bool> pair{5, true};
  sw::BytesMut out;
  sw::encode(out, pair);
  sw::Bytes good = out.freeze();
  std::vector<std::byte> bad(good.data(), good.data() + good.size());
  bad[4] = std::byte{7};
  try {
    (void)sw::decode<std::pair<int, bool>>(sw::Bytes::copy_of(bad));
    FAIL("no DecodeError");
  } catch (const sw::DecodeError& e) {
    REQUIRE(e.offset() == 4);
    REQUIRE(e.type() == "bool");
  }

  // A variant index out of range.
  const std::vector<std::byte> variant = {std::byte{9}};
  REQUIRE_THROWS_WITH((sw::decode<std::variant<int, std::string>>(sw::Bytes::copy_of(variant))),
                      Catch::Contains("alternative 9 of 2"));

  // An over-long varint.
  const std::vector<std::byte> varint(11, std::byte{0xff});
  REQUIRE_THROWS_WITH(sw::decode<std::vector<int>>(sw::Bytes::copy_of(varint)),
                      Catch::Contains("varint overflows 64 bits"));

  // A varint padded with a zero byte (0x81 0x00 is 1 in two bytes): one encoding per value.
  const std::vector<std::byte> padded = {std::byte{0x81}, std::byte{0x00}, std::byte{0x05}};
  REQUIRE_THROWS_WITH(sw::decode<std::vector<std::uint8_t>>(sw::Bytes::copy_of(padded)),
                      Catch::Contains("varint not in its shortest form"));
  const std::vector<std::byte> zero = {std::byte{0x00}};
  REQUIRE(sw::decode<std::vector<std::uint8_t>>(sw::Bytes::copy_of(zero)).empty());

  // A vector claiming more elements than the bytes left could hold allocates nothing.
  sw::BytesMut claim;
  sw::BinaryWriter(claim).write_varint(1ull << 60);
  REQUIRE_THROWS_WITH(sw::decode<std::vector<Point>>(claim.freeze()),
                      Catch::Contains("exceeds the 0 bytes left"));

  // Trailing bytes after a complete value.
  sw::BytesMut two;
  sw::encode(two, std::int32_t{1});
  sw::encode(two, std::int32_t{2});
  REQUIRE_THROWS_WITH(sw::decode<std::int32_t>(two.freeze()), Catch::Contains("4 bytes left over"));
}

namespace test_types {
struct Tagged {
  sw::Str url;
  sw::Symbol channel;
  sw::Bytes blob;
  std::vector<sw::Str> words;
  bool operator==(const Tagged&) const = default;
};
}  // namespace test_types

TEST_CASE("Str and Bytes decode as slices of the input, Symbol is interned again",
          "[serde][binary]") {
  const Tagged t{sw::Str("https://example.com/item?id=42"),
                 sw::Symbol("Google"),
                 sw::Bytes::copy_of(std::string_view("\x01\x02\x03", 3)),
                 {sw::Str("a"), sw::Str("bc"), sw::Str("")}};
  const sw::Bytes wire = sw::encode(t);
  const Tagged back = sw::decode<Tagged>(wire);
  REQUIRE(back == t);
  const auto* begin = reinterpret_cast<const char*>(wire.data());
  const auto* end = begin + wire.size();
  REQUIRE(back.url.view().data() >= begin);
  REQUIRE(back.url.view().data() < end);  // zero-copy: points into the frame
  REQUIRE(back.words[1].view().data() >= begin);
  REQUIRE(back.blob.owner() == wire.owner());
  REQUIRE(back.channel == sw::Symbol("Google"));  // the same interned entry
  REQUIRE(back.channel.view().data() == sw::Symbol("Google").view().data());
  for (std::size_t cut = 0; cut < wire.size(); ++cut) {
    REQUIRE_THROWS_AS(sw::decode<Tagged>(sw::Bytes::copy_of(wire.slice(0, cut).span())),
                      sw::DecodeError);
  }
}
