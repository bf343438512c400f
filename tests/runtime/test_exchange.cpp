// The consumer end of an exchange edge (runtime/src/distributed/exchange.cpp): an Inbox takes
// only the frames its edge expects, in sequence, and says which peer and edge sent a bad one.
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include "../../runtime/src/distributed/exchange.hpp"

namespace {

struct Fixture {
  sw::TypedBatchCodec<int> codec;
  sw::BatchPool<int> pool;
  // Edge 3 into consumer instance 1, fed by 2 producer instances (input slots 5 and 6);
  // this is rank 1.
  sw::runtime::Inbox inbox{codec, pool, 3, 1, 2, 5, "'a' -> 'b'", 1, sw::FrameLimits{}};

  static sw::Bytes frame(std::uint32_t edge, std::uint32_t source, std::uint32_t target,
                         std::uint64_t sequence, std::vector<int> items) {
    sw::FrameHeader header;
    header.edge = edge;
    header.source_instance = source;
    header.target_instance = target;
    header.sequence = sequence;
    std::vector<sw::Bytes> out;
    (void)sw::encode_frames(std::span<const int>(items), header, out);
    return out.at(0);
  }
  std::vector<int> take(const sw::Bytes& bytes, int from_rank = 0) {
    sw::runtime::Delivery delivery = inbox.take(bytes, std::nullopt, from_rank);
    REQUIRE_FALSE(delivery.is_watermark);
    const auto& items = static_cast<sw::Batch<int>&>(*delivery.batch).items;
    return {items.begin(), items.end()};
  }
};

}  // namespace

TEST_CASE("an inbox decodes its edge's frames in sequence per producer") {
  Fixture f;
  CHECK(f.take(Fixture::frame(3, 0, 1, 0, {1, 2, 3})) == std::vector<int>{1, 2, 3});
  CHECK(f.take(Fixture::frame(3, 1, 1, 0, {7})) == std::vector<int>{7});
  CHECK(f.take(Fixture::frame(3, 0, 1, 1, {4})) == std::vector<int>{4});
  CHECK(f.inbox.frames == 3);
}

TEST_CASE("an inbox refuses unexpected frames, naming this rank, the peer and the edge") {
  Fixture f;
  SECTION("a lost frame") {
    (void)f.take(Fixture::frame(3, 0, 1, 0, {1}));
    CHECK_THROWS_WITH(f.take(Fixture::frame(3, 0, 1, 2, {1}), 2),
                      Catch::StartsWith("rank 1: bad frame from rank 2 on edge 'a' -> 'b'") &&
                          Catch::Contains("out of sequence (expected #1)"));
  }
  SECTION("a frame for another edge or instance") {
    CHECK_THROWS_WITH(f.take(Fixture::frame(4, 0, 1, 0, {1})),
                      Catch::Contains("addressed to edge 4 instance 1"));
    CHECK_THROWS_WITH(f.take(Fixture::frame(3, 0, 0, 0, {1})),
                      Catch::Contains("addressed to edge 3 instance 0"));
  }
  SECTION("a producer instance the edge does not have") {
    CHECK_THROWS_WITH(f.take(Fixture::frame(3, 5, 1, 0, {1})),
                      Catch::Contains("producer instance 5, but the edge has 2"));
  }
  SECTION("a frame after end-of-stream, and a second end") {
    CHECK(f.inbox.end(0, 0) == 5);
    CHECK_THROWS_WITH(f.take(Fixture::frame(3, 0, 1, 0, {1})),
                      Catch::Contains("arrived after its end-of-stream"));
    CHECK_THROWS_WITH(f.inbox.end(0, 0), Catch::Contains("a second end-of-stream"));
    CHECK_NOTHROW(f.inbox.end(1, 0));
  }
  SECTION("a truncated or corrupt frame") {
    const sw::Bytes good = Fixture::frame(3, 0, 1, 0, {1, 2});
    CHECK_THROWS_AS(f.take(good.slice(0, good.size() - 1)), sw::ExchangeError);
    sw::Bytes copy = sw::Bytes::copy_of(good.span());
    const_cast<std::byte*>(copy.data())[copy.size() - 1] ^= std::byte{1};
    CHECK_THROWS_WITH(f.take(copy), Catch::Contains("checksum"));
  }
}

TEST_CASE("an inbox passes on watermark frames in sequence with the item frames") {
  Fixture f;
  (void)f.take(Fixture::frame(3, 1, 1, 0, {1}));
  sw::FrameHeader header;
  header.edge = 3;
  header.source_instance = 1;
  header.target_instance = 1;
  header.sequence = 1;
  const sw::runtime::Delivery mark =
      f.inbox.take(sw::make_watermark_frame(header, 12345), std::nullopt, 0);
  CHECK(mark.is_watermark);
  CHECK(mark.watermark == 12345);
  CHECK(mark.slot == 6);
  CHECK_FALSE(mark.batch);
  CHECK(f.take(Fixture::frame(3, 1, 1, 2, {2})) == std::vector<int>{2});
  // A watermark frame out of sequence is refused like any frame.
  header.sequence = 7;
  CHECK_THROWS_WITH(f.inbox.take(sw::make_watermark_frame(header, 1), std::nullopt, 0),
                    Catch::Contains("out of sequence"));
}
