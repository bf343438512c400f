#include <catch2/catch.hpp>
#include <streamweave/serde/fingerprint.hpp>

namespace fp {
struct BidV1 {
  std::uint64_t auction;
  std::int64_t price;
  std::string channel;
};
struct BidSwapped {  // the same fields in another order
  std::int64_t price;
  std::uint64_t auction;
  std::string channel;
};
struct BidWider {  // one field of another type
  std::uint64_t auction;
  double price;
  std::string channel;
};
enum class Kind : std::uint16_t { a, b };
struct Nested {
  BidV1 bid;
  std::vector<std::optional<Kind>> kinds;
  std::variant<int, sw::Str> either;
  std::array<sw::Symbol, 2> tags;
};
}  // namespace fp

TEST_CASE("The layout names standard types canonically and aggregates by name and fields",
          "[serde][fingerprint]") {
  REQUIRE(sw::type_layout<fp::BidV1>() == "fp::BidV1{u64,i64,string}");
  REQUIRE(sw::type_layout<fp::Nested>() ==
          "fp::Nested{fp::BidV1{u64,i64,string},vec<opt<enum fp::Kind:u16>>,variant<i32|str>,"
          "array<symbol;2>}");
  REQUIRE(sw::type_layout<std::pair<bool, float>>() == "tuple<bool,f32>");
}

TEST_CASE("Fingerprints are stable and change with a field's type or order",
          "[serde][fingerprint]") {
  const std::uint64_t v1 = sw::type_fingerprint<fp::BidV1>();
  REQUIRE(v1 == sw::fnv1a64("fp::BidV1{u64,i64,string}"));  // the same in every build
  REQUIRE(v1 == sw::type_fingerprint<fp::BidV1>());
  REQUIRE(sw::type_fingerprint<fp::BidSwapped>() != sw::fnv1a64("fp::BidSwapped{u64,i64,string}"));
  REQUIRE(sw::type_layout<fp::BidSwapped>() == "fp::BidSwapped{i64,u64,string}");
  REQUIRE(sw::type_layout<fp::BidWider>() == "fp::BidWider{u64,f64,string}");
  REQUIRE(sw::type_fingerprint<fp::BidWider>() != v1);
  REQUIRE(sw::type_fingerprint<std::vector<int>>() != sw::type_fingerprint<std::vector<long>>());
}

#include <streamweave/serde/codec_registry.hpp>

TEST_CASE("The registry finds codecs by name and version and by fingerprint",
          "[serde][fingerprint]") {
  sw::CodecRegistry registry;
  const sw::CodecInfo& bid = registry.add<fp::BidV1>("bid", 1);
  REQUIRE(&registry.add<fp::BidV1>("bid", 1) == &bid);  // idempotent
  registry.add<fp::BidWider>("bid", 2);
  REQUIRE_THROWS_WITH(registry.add<fp::BidSwapped>("bid", 1),
                      Catch::Contains("codec 'bid' v1 is already registered for "
                                      "fp::BidV1{u64,i64,string}") &&
                          Catch::Contains("fp::BidSwapped{i64,u64,string}"));
  REQUIRE(registry.find("bid", 2)->layout == "fp::BidWider{u64,f64,string}");
  REQUIRE(registry.find("bid", 3) == nullptr);
  REQUIRE(registry.find(sw::type_fingerprint<fp::BidV1>()) == &bid);
  REQUIRE(registry.describe(sw::type_fingerprint<fp::BidV1>()) ==
          "'bid' v1 (fp::BidV1{u64,i64,string})");
  REQUIRE_THAT(registry.describe(42), Catch::Contains("unknown type 0x000000000000002a"));

  // Type-erased round trip.
  const fp::BidV1 in{7, -3, "web"};
  sw::BytesMut out;
  bid.encode(out, &in);
  const sw::Bytes wire = out.freeze();
  sw::BinaryReader reader(wire);
  fp::BidV1 back{};
  bid.decode(reader, &back);
  REQUIRE(back.auction == 7);
  REQUIRE(back.price == -3);
  REQUIRE(back.channel == "web");
}
