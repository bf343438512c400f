#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <streamweave/serde/fingerprint.hpp>
#include <streamweave/serde/json.hpp>

namespace js {
enum class Channel { web, mobile, api };
BOOST_DESCRIBE_ENUM(Channel, web, mobile, api)
enum class Raw : int { a = 1 };

struct Point {
  double x = 0;
  double y = 0;
  bool operator==(const Point&) const = default;
};
BOOST_DESCRIBE_STRUCT(Point, (), (x, y))

struct Bid {
  std::uint64_t auction = 0;
  std::int64_t price = 0;
  std::int32_t small = 0;
  bool urgent = false;
  double ratio = 0;
  std::string url;
  sw::Str extra;
  sw::Symbol city;
  Channel channel = Channel::web;
  Raw raw = Raw::a;
  std::vector<Point> path;
  std::array<std::uint8_t, 2> pair{};
  std::optional<std::string> note;
  char grade = 'a';
  bool operator==(const Bid&) const = default;
};
BOOST_DESCRIBE_STRUCT(Bid, (),
                      (auction, price, small, urgent, ratio, url, extra, city, channel, raw, path,
                       pair, note, grade))

// Not an aggregate: travels in frames as JSON.
class Account {
 public:
  Account() = default;
  Account(std::string owner, std::int64_t cents) : owner_(std::move(owner)), cents_(cents) {}
  bool operator==(const Account&) const = default;

 private:
  std::string owner_;
  std::int64_t cents_ = 0;
  BOOST_DESCRIBE_CLASS(Account, (), (), (), (owner_, cents_))
};
}  // namespace js

template <>
inline constexpr bool sw::kJsonWireFormat<js::Account> = true;

using namespace js;

static_assert(sw::JsonCodable<Bid>);
static_assert(!sw::JsonCodable<std::pair<int, int>>);

namespace {
std::string random_text(std::mt19937_64& rng) {
  static const std::vector<std::string> pieces = {
      "a", "Z", " ", "\"", "\\", "\n", "\t", "\x01", "/", "é", "日本", "😀", "\x7f", "{", "}"};
  std::string s;
  const std::size_t n = rng() % 12;
  for (std::size_t i = 0; i < n; ++i) s += pieces[rng() % pieces.size()];
  return s;
}

Bid random_bid(std::mt19937_64& rng) {
  Bid b;
  b.auction = rng();
  b.price = static_cast<std::int64_t>(rng());
  b.small = static_cast<std::int32_t>(rng());
  b.urgent = rng() % 2 == 0;
  std::uniform_real_distribution<double> real(-1e300, 1e300);
  b.ratio = rng() % 3 == 0 ? real(rng) : static_cast<double>(rng() % 1000) / 7.0;
  b.url = random_text(rng);
  b.extra = sw::Str(random_text(rng));
  b.city = sw::Symbol(random_text(rng));
  b.channel = static_cast<Channel>(rng() % 3);
  b.path.resize(rng() % 3);
  for (auto& p : b.path) p = Point{static_cast<double>(rng() % 100) / 3.0, -0.1};
  b.pair = {static_cast<std::uint8_t>(rng()), 255};
  if (rng() % 2) b.note = random_text(rng);
  b.grade = static_cast<char>('a' + rng() % 26);
  return b;
}
}  // namespace

TEST_CASE("JSON text: escaping, UTF-8 kept, enum names, null for an empty optional",
          "[serde][json]") {
  Bid b;
  b.auction = 1;
  b.price = -2;
  b.url = "a\"b\\c\nd\x01 é😀";
  b.channel = Channel::mobile;
  b.path = {Point{0.1, 2}};
  const std::string text = sw::to_json(b);
  REQUIRE_THAT(text, Catch::StartsWith(R"({"auction":1,"price":-2,"small":0,"urgent":false,)"));
  REQUIRE_THAT(text, Catch::Contains(R"("url":"a\"b\\c\nd\u0001 é😀")"));
  REQUIRE_THAT(text, Catch::Contains(R"("channel":"mobile","raw":1,"path":[{"x":0.1,"y":2}])"));
  REQUIRE_THAT(text, Catch::Contains(R"("note":null,"grade":"a"})"));
  REQUIRE_THROWS_AS(sw::to_json(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
}

TEST_CASE("Random values round-trip through JSON", "[serde][json]") {
  std::mt19937_64 rng(GENERATE(1u, 2u));
  for (int i = 0; i < 300; ++i) {
    const Bid b = random_bid(rng);
    const std::string text = sw::to_json(b);
    REQUIRE(sw::from_json<Bid>(text) == b);
  }
  for (double d : {0.1, 1e-310, 1.7976931348623157e308, -0.0, 123456789.125}) {
    REQUIRE(sw::from_json<double>(sw::to_json(d)) == d);
  }
  REQUIRE(sw::from_json<std::vector<int>>(" [1, 2,3] ") == std::vector<int>{1, 2, 3});
}

TEST_CASE("Fields may come in any order, optional fields may be missing", "[serde][json]") {
  const Point p = sw::from_json<Point>(R"({"y": 2, "x": 1.5})");
  REQUIRE(p == Point{1.5, 2});
}

namespace {
sw::JsonError json_error(const std::string& text, sw::JsonSource source = {}) {
  try {
    (void)sw::from_json<Bid>(text, source);
  } catch (const sw::JsonError& e) {
    return e;
  }
  FAIL("no JsonError for " << text);
  throw;
}
std::string with(const std::string& field_json) {
  // A complete Bid on several lines, `field_json` replacing the line of "price".
  return "{\n\"auction\": 1,\n" + field_json +
         ",\n\"small\": 0, \"urgent\": true, \"ratio\": 1, \"url\": \"u\", \"extra\": \"e\",\n"
         "\"city\": \"Paris\", \"channel\": \"api\", \"raw\": 1, \"path\": [{\"x\": 1, \"y\": "
         "2}],\n"
         "\"pair\": [1, 2], \"grade\": \"b\"\n}";
}
}  // namespace

TEST_CASE("Missing, extra and wrong-typed fields are named with their line", "[serde][json]") {
  REQUIRE(sw::from_json<Bid>(with("\"price\": 5")).price == 5);

  const auto wrong = json_error(with("\"price\": \"5\""));
  REQUIRE(wrong.line() == 3);
  REQUIRE(wrong.path() == "price");
  REQUIRE_THAT(wrong.what(),
               Catch::Contains("line 3: field 'price': expected an integer, found a string"));

  const auto extra = json_error(with("\"price\": 5, \"bogus\": 1"), {"bids.jsonl", 41});
  REQUIRE_THAT(extra.what(), Catch::StartsWith("bids.jsonl:43: ") &&
                                 Catch::Contains("unexpected field 'bogus' in js::Bid") &&
                                 Catch::EndsWith("(js::Bid, byte 37)"));

  const auto missing = json_error(with("\"note\": \"n\""));
  REQUIRE_THAT(missing.what(), Catch::Contains("line 1: missing field 'price' of js::Bid"));

  const auto range = json_error(with("\"price\": 5, \"small\": 3000000000"));
  REQUIRE_THAT(range.what(), Catch::Contains("field 'small': integer 3000000000 out of range"));

  std::string nested = with("\"price\": 5");
  nested.replace(nested.find("\"y\": 2"), 6, "\"y\": true");
  const auto deep = json_error(nested);
  REQUIRE(deep.path() == "path[0].y");
  REQUIRE(deep.line() == 5);
  REQUIRE_THAT(deep.what(), Catch::Contains("expected a number, found a boolean"));

  const auto bad_enum = json_error(with("\"price\": 5, \"channel\": \"fax\""));
  REQUIRE_THAT(bad_enum.what(), Catch::Contains("'fax' is not a js::Channel"));

  REQUIRE_THROWS_AS(sw::from_json<Bid>("{\"auction\": 1"), sw::JsonError);
  REQUIRE_THROWS_AS(sw::from_json<Bid>(""), sw::JsonError);
  REQUIRE_THROWS_WITH(sw::from_json<Point>(R"({"x": 1, "y": 2} [])"),
                      Catch::Contains("unexpected content after the value"));
  REQUIRE_THROWS_WITH(sw::from_json<Point>(R"({"x": 1, "x": 2, "y": 3})"),
                      Catch::Contains("field 'x' given twice"));
}

TEST_CASE("Every truncation of a JSON document is an error, never a crash", "[serde][json]") {
  std::mt19937_64 rng(5);
  const std::string text = sw::to_json(random_bid(rng));
  for (std::size_t cut = 0; cut < text.size(); ++cut) {
    REQUIRE_THROWS_AS(sw::from_json<Bid>(text.substr(0, cut)), sw::JsonError);
  }
}

TEST_CASE("A described class can use JSON as its wire format", "[serde][json]") {
  static_assert(sw::BinaryCodable<Account>);
  const std::vector<Account> accounts{{"ann", 5}, {"bob \"b\"", -7}};
  const sw::Bytes wire = sw::encode(accounts);
  REQUIRE(sw::decode<std::vector<Account>>(wire) == accounts);
  REQUIRE(sw::type_layout<Account>() == "json js::Account");

  // A corrupt JSON payload is a DecodeError naming the type.
  sw::BytesMut bad;
  sw::encode(bad, std::string(R"({"owner_": 1})"));
  REQUIRE_THROWS_WITH(sw::decode<Account>(bad.freeze()),
                      Catch::Contains("decoding js::Account at byte 0: JSON payload:") &&
                          Catch::Contains("field 'owner_': expected a string"));
}
