#include <catch2/catch.hpp>
#include <streamweave/serde/message.hpp>

TEST_CASE("Headers keep insertion order and replace by key", "[serde][message]") {
  sw::Headers h{{sw::Symbol("trace"), sw::Str("abc-123")},
                {sw::Symbol("tenant"), sw::Symbol("acme")}};
  h.set(sw::Symbol("trace"), sw::Str("def-456"));
  h.set(sw::Symbol("region"), sw::Symbol("eu"));
  REQUIRE(h.size() == 3);
  REQUIRE(h.begin()->first == sw::Symbol("trace"));
  REQUIRE(h.text(sw::Symbol("trace")) == "def-456");
  REQUIRE(h.text(sw::Symbol("tenant")) == "acme");
  REQUIRE(h.find(sw::Symbol("missing")) == nullptr);
  REQUIRE(h.erase(sw::Symbol("tenant")));
  REQUIRE_FALSE(h.erase(sw::Symbol("tenant")));
  REQUIRE(h.size() == 2);
}

TEST_CASE("A Message round-trips through the binary codec", "[serde][message]") {
  sw::Message<std::vector<int>> m;
  m.id = 42;
  m.timestamp_ns = 1'700'000'000'000'000'000;
  m.content_type = sw::Symbol("application/x-ints");
  m.compression = sw::Compression::zstd;
  m.priority = 3;
  m.ttl_ms = 60'000;
  m.source = sw::Symbol("sensor-7");
  m.destination = sw::Symbol("sink");
  m.headers.set(sw::Symbol("trace"), sw::Str("t-1"));
  m.version = 2;
  m.payload = {1, 2, 3};
  const sw::Bytes wire = sw::encode(m);
  REQUIRE(sw::decode<sw::Message<std::vector<int>>>(wire) == m);

  // An unknown compression code is a DecodeError at its byte.
  std::vector<std::byte> bad(wire.data(), wire.data() + wire.size());
  const std::size_t at = 8 + 8 + 1 + m.content_type.size();
  REQUIRE(bad[at] == std::byte{2});
  bad[at] = std::byte{9};
  try {
    (void)sw::decode<sw::Message<std::vector<int>>>(sw::Bytes::copy_of(bad));
    FAIL("no DecodeError");
  } catch (const sw::DecodeError& e) {
    REQUIRE(e.offset() == at);
    REQUIRE_THAT(e.what(), Catch::Contains("unknown compression 9"));
  }
}
