#include <catch2/catch.hpp>
#include <random>
#include <streamweave/serde/frame.hpp>
#include <string>
#include <vector>

TEST_CASE("a barrier frame carries its checkpoint and is neither items nor a watermark") {
  sw::FrameHeader header;
  header.edge = 4;
  header.source_instance = 2;
  header.target_instance = 1;
  header.sequence = 12;
  const sw::Bytes bytes = sw::make_barrier_frame(header, 0x1234'5678'9abcULL);
  const sw::Frame frame = sw::parse_frame(bytes);
  CHECK(frame.header.flags == sw::kFrameBarrier);
  CHECK(frame.header.sequence == 12);
  CHECK(frame.header.edge == 4);
  CHECK(sw::frame_barrier(frame) == 0x1234'5678'9abcULL);
  CHECK_THROWS_WITH(sw::frame_watermark(frame), Catch::Contains("not a watermark frame"));
  CHECK_THROWS_WITH(sw::frame_barrier(sw::parse_frame(sw::make_watermark_frame(header, 5))),
                    Catch::Contains("not a barrier frame"));
  std::vector<int> items;
  CHECK_THROWS_AS(sw::decode_frame(frame, items), sw::FrameError);
}

namespace frames {
struct Bid {
  std::uint64_t auction = 0;
  std::int64_t price = 0;
  sw::Str url;
  bool operator==(const Bid&) const = default;
};
struct Other {
  std::int64_t price = 0;
  std::uint64_t auction = 0;
  sw::Str url;
};

std::vector<Bid> bids(std::size_t n) {
  std::vector<Bid> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(Bid{i, static_cast<std::int64_t>(i * 7),
                      sw::Str("https://example.com/item?id=" + std::to_string(i))});
  }
  return out;
}

sw::FrameHeader header() {
  sw::FrameHeader h;
  h.edge = 3;
  h.source_instance = 1;
  h.target_instance = 2;
  h.sequence = 100;
  return h;
}

std::vector<std::byte> raw(const sw::Bytes& b) {
  return {b.data(), b.data() + b.size()};
}
}  // namespace frames

using namespace frames;

TEST_CASE("A batch round-trips through one frame", "[serde][frame]") {
  const std::vector<Bid> in = bids(100);
  std::vector<sw::Bytes> out;
  REQUIRE(sw::encode_frames<Bid>(in, header(), out) == 101);
  REQUIRE(out.size() == 1);
  const sw::Frame f = sw::parse_frame(out[0]);
  REQUIRE(f.header.edge == 3);
  REQUIRE(f.header.source_instance == 1);
  REQUIRE(f.header.target_instance == 2);
  REQUIRE(f.header.sequence == 100);
  REQUIRE(f.header.items == 100);
  REQUIRE(f.header.payload_bytes == out[0].size() - sw::kFrameHeaderBytes);
  REQUIRE(f.header.fingerprint == sw::type_fingerprint<Bid>());
  std::vector<Bid> back;
  sw::decode_frame(f, back);
  REQUIRE(back == in);
  REQUIRE(back[5].url.bytes().owner() == out[0].owner());  // strings are slices of the frame
}

TEST_CASE("A large batch is split over several frames, in order", "[serde][frame]") {
  const std::vector<Bid> in = bids(1000);
  sw::FrameLimits limits;
  limits.target_payload_bytes = 4096;
  std::vector<sw::Bytes> out;
  const std::uint64_t next = sw::encode_frames<Bid>(in, header(), out, limits);
  REQUIRE(out.size() > 5);
  REQUIRE(next == 100 + out.size());
  std::vector<Bid> back;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const sw::Frame f = sw::parse_frame(out[i], limits);
    REQUIRE(f.header.sequence == 100 + i);
    REQUIRE(f.header.payload_bytes < 4096 + 100);
    sw::decode_frame(f, back);
  }
  REQUIRE(back == in);

  std::vector<sw::Bytes> empty;
  REQUIRE(sw::encode_frames<Bid>({}, header(), empty) == 101);
  REQUIRE(empty.size() == 1);  // an empty batch is one frame of 0 items
  REQUIRE(sw::parse_frame(empty[0]).header.items == 0);
}

TEST_CASE("Frames over the size limit are refused on both sides", "[serde][frame]") {
  sw::FrameLimits limits;
  limits.max_frame_bytes = 1024;
  limits.target_payload_bytes = 512;
  std::vector<Bid> in = bids(3);
  in[1].url = sw::Str(std::string(2000, 'x'));
  std::vector<sw::Bytes> out;
  REQUIRE_THROWS_WITH(sw::encode_frames<Bid>(in, header(), out, limits),
                      Catch::Contains("frame 101 of edge 3") &&
                          Catch::Contains("over the maximum frame size of 1024 bytes"));

  std::vector<sw::Bytes> big;
  sw::encode_frames<Bid>(bids(200), header(), big);
  REQUIRE_THROWS_WITH(sw::parse_frame(big[0], limits),
                      Catch::Contains("over the maximum frame size of 1024 bytes"));
}

TEST_CASE("Every header field is checked, naming edge, field and offset", "[serde][frame]") {
  std::vector<sw::Bytes> out;
  sw::encode_frames<Bid>(bids(10), header(), out);
  const std::vector<std::byte> good = raw(out[0]);
  auto with = [&good](std::size_t at, std::byte value) {
    std::vector<std::byte> bad = good;
    bad[at] = value;
    return sw::Bytes::copy_of(bad);
  };
  auto offset_of = [](const sw::Bytes& b) -> std::size_t {
    try {
      (void)sw::parse_frame(b);
    } catch (const sw::FrameError& e) {
      return e.offset();
    }
    return 9999;
  };
  REQUIRE_THROWS_WITH(sw::parse_frame(with(0, std::byte{'X'})), Catch::Contains("bad magic"));
  REQUIRE(offset_of(with(4, std::byte{9})) == 4);
  REQUIRE_THROWS_WITH(sw::parse_frame(with(4, std::byte{9})),
                      Catch::Contains("frame 100 of edge 3 (instance 1 -> 2): version 9"));
  REQUIRE(offset_of(with(6, std::byte{8})) == 6);   // an unknown flag (1 watermark, 2 unchecked,
                                                    // 4 barrier)
  REQUIRE(offset_of(with(6, std::byte{5})) == 6);   // a watermark and a barrier at once
  REQUIRE(offset_of(with(6, std::byte{2})) == 36);  // a known flag the sender did not set
  REQUIRE(offset_of(with(32, std::byte{0xff})) == 32);  // payload length
  // Fields covered only by the checksum: edge, instances, count, sequence, fingerprint.
  for (std::size_t at : {8u, 12u, 16u, 20u, 24u, 40u}) {
    REQUIRE(offset_of(with(at, good[at] ^ std::byte{1})) == 36);
  }
  REQUIRE_THROWS_WITH(sw::parse_frame(sw::Bytes::copy_of(std::span(good).first(20))),
                      Catch::Contains("shorter than the 48-byte frame header"));
}

TEST_CASE("Any flipped bit and any truncation is detected, never decoded", "[serde][frame]") {
  std::vector<sw::Bytes> out;
  sw::encode_frames<Bid>(bids(20), header(), out);
  const std::vector<std::byte> good = raw(out[0]);
  std::mt19937 rng(11);
  for (std::size_t at = 0; at < good.size(); ++at) {
    std::vector<std::byte> bad = good;
    bad[at] ^= static_cast<std::byte>(1u << (rng() % 8));
    REQUIRE_THROWS_AS(sw::parse_frame(sw::Bytes::copy_of(bad)), sw::FrameError);
  }
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    REQUIRE_THROWS_AS(sw::parse_frame(sw::Bytes::copy_of(std::span(good).first(cut))),
                      sw::FrameError);
  }
}

TEST_CASE("A frame sent with its payload unchecked still has every header bit checked",
          "[serde][frame]") {
  sw::FrameHeader h = header();
  h.flags = sw::kFramePayloadUnchecked;
  const std::vector<Bid> in = bids(20);
  std::vector<sw::Bytes> out;
  sw::encode_frames<Bid>(in, h, out);
  REQUIRE(out.size() == 1);
  const std::vector<std::byte> good = raw(out[0]);
  const sw::Frame f = sw::parse_frame(out[0]);
  CHECK(f.header.flags == sw::kFramePayloadUnchecked);
  CHECK(f.header.checksum == sw::crc32c([&] {
          std::vector<std::byte> head(good.begin(), good.begin() + sw::kFrameHeaderBytes);
          std::fill_n(head.begin() + 36, 4, std::byte{0});
          return head;
        }()));
  std::vector<Bid> back;
  sw::decode_frame(f, back);
  CHECK(back == in);

  std::mt19937 rng(12);
  for (std::size_t at = 0; at < sw::kFrameHeaderBytes; ++at) {
    std::vector<std::byte> bad = good;
    bad[at] ^= static_cast<std::byte>(1u << (rng() % 8));
    REQUIRE_THROWS_AS(sw::parse_frame(sw::Bytes::copy_of(bad)), sw::FrameError);
  }
  // Clearing the flag makes the receiver check a payload the checksum never covered.
  std::vector<std::byte> claimed = good;
  claimed[6] = std::byte{0};
  REQUIRE_THROWS_WITH(sw::parse_frame(sw::Bytes::copy_of(claimed)),
                      Catch::Contains("does not match the content"));
  // A payload byte changed on the way is not seen by the checksum: the frame parses, and the
  // decoder decides (here the last byte of a URL, which still decodes).
  std::vector<std::byte> changed = good;
  changed.back() ^= std::byte{0x01};
  const sw::Frame g = sw::parse_frame(sw::Bytes::copy_of(changed));
  std::vector<Bid> decoded;
  sw::decode_frame(g, decoded);
  REQUIRE(decoded.size() == in.size());
  CHECK(decoded.back().url != in.back().url);
  // The header's own corruption names the header.
  std::vector<std::byte> header_bad = good;
  header_bad[8] ^= std::byte{1};
  REQUIRE_THROWS_WITH(sw::parse_frame(sw::Bytes::copy_of(header_bad)),
                      Catch::Contains("does not match the header"));
}

TEST_CASE("A frame of another type is refused by name", "[serde][frame]") {
  sw::CodecRegistry::global().add<Bid>("test-bid", 1);
  std::vector<sw::Bytes> out;
  sw::encode_frames<Bid>(bids(3), header(), out);
  std::vector<Other> wrong;
  REQUIRE_THROWS_WITH(sw::decode_frame(sw::parse_frame(out[0]), wrong),
                      Catch::Contains("carries 'test-bid' v1 (frames::Bid{u64,i64,str})") &&
                          Catch::Contains("expects frames::Other{i64,u64,str}"));
  REQUIRE(wrong.empty());
}

TEST_CASE("A count that disagrees with the payload is an error", "[serde][frame]") {
  // Frames built by hand: valid header and checksum, inconsistent content.
  auto frame_with = [](std::uint32_t claimed, std::size_t actual) {
    sw::BytesMut m;
    (void)m.extend(sw::kFrameHeaderBytes);
    for (std::size_t i = 0; i < actual; ++i) sw::encode(m, std::int32_t{7});
    sw::FrameHeader h = header();
    h.items = claimed;
    h.fingerprint = sw::type_fingerprint<std::int32_t>();
    sw::detail::seal_frame(m, h);
    return m.freeze();
  };
  std::vector<std::int32_t> out;
  REQUIRE_THROWS_WITH(sw::decode_frame(sw::parse_frame(frame_with(3, 5)), out),
                      Catch::Contains("header says 3 items; payload ends after 3 with 8 bytes"));
  REQUIRE_THROWS_WITH(sw::decode_frame(sw::parse_frame(frame_with(4000000000u, 2)), out),
                      Catch::Contains("header says 4000000000 items"));
  REQUIRE(sw::parse_frame(frame_with(5, 5)).header.items == 5);
}

TEST_CASE("a watermark frame carries its time and refuses a payload of another size") {
  sw::FrameHeader header;
  header.edge = 2;
  header.source_instance = 1;
  header.target_instance = 0;
  header.sequence = 9;
  const sw::Bytes bytes = sw::make_watermark_frame(header, -77);
  const sw::Frame frame = sw::parse_frame(bytes);
  CHECK(frame.header.flags == sw::kFrameWatermark);
  CHECK(frame.header.sequence == 9);
  CHECK(sw::frame_watermark(frame) == -77);
  // An item frame is not a watermark; an item decoder refuses a watermark frame.
  std::vector<sw::Bytes> out;
  (void)sw::encode_frames(std::span<const int>(std::vector<int>{1}), header, out);
  CHECK_THROWS_WITH(sw::frame_watermark(sw::parse_frame(out.at(0))),
                    Catch::Contains("not a watermark frame"));
  std::vector<int> items;
  CHECK_THROWS_AS(sw::decode_frame(frame, items), sw::FrameError);
}

namespace frames {
struct Blob {
  std::uint32_t id = 0;
  sw::Bytes payload;
  sw::Str note;
  bool operator==(const Blob&) const = default;
};

// Payloads from 0 bytes to 70 KiB, each filled from its id so a misplaced piece shows.
std::vector<Blob> blobs(std::size_t n, std::uint32_t seed) {
  std::mt19937 random(seed);
  const std::size_t sizes[] = {0, 1, 100, 4095, 4096, 5000, 20000, 70000};
  std::vector<Blob> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::string bytes(sizes[random() % std::size(sizes)], '\0');
    for (std::size_t k = 0; k < bytes.size(); ++k) bytes[k] = static_cast<char>(i * 31 + k * 7);
    std::string note(random() % 2 == 0 ? 10 : 6000, static_cast<char>('a' + i % 26));
    out.push_back(
        Blob{static_cast<std::uint32_t>(i), sw::Bytes::copy_of(bytes), sw::Str(std::move(note))});
  }
  return out;
}
}  // namespace frames

TEST_CASE("Frame checksum over pieces equals the checksum over one buffer", "[serde][frame]") {
  std::mt19937 random(5);
  // ISA-L's CRC takes different paths below 16 and 256 bytes and folds 256 bytes at a time.
  for (const std::size_t size : {0, 1, 15, 16, 17, 255, 256, 257, 511, 1024, 1025, 5000, 70000}) {
    std::vector<std::byte> all(size);
    for (std::byte& b : all) b = static_cast<std::byte>(random());
    const std::uint32_t seed = random();
    const std::uint32_t whole = sw::crc32c(std::span<const std::byte>(all), seed);
    for (int round = 0; round < 20; ++round) {
      std::vector<std::span<const std::byte>> pieces;
      std::size_t at = 0;
      while (at < size) {
        const std::size_t n = std::min<std::size_t>(size - at, 1 + random() % (size / 3 + 2));
        pieces.push_back(std::span<const std::byte>(all).subspan(at, n));
        at += n;
      }
      if (round % 2 == 1) pieces.emplace_back();  // an empty piece changes nothing
      INFO("size " << size << ", " << pieces.size() << " pieces");
      CHECK(sw::crc32c(pieces, seed) == whole);
    }
  }
}

TEST_CASE("Spliced frames hold the same bytes as copied ones and share the large values",
          "[serde][frame]") {
  for (const std::uint32_t seed : {1u, 2u, 3u}) {
    const std::vector<Blob> in = blobs(200, seed);
    // Frames closed at 64 KiB, and a maximum that some items overflow (they start the next
    // frame: the spliced values written for them are taken back).
    sw::FrameLimits limits;
    limits.target_payload_bytes = 64u << 10;
    limits.max_frame_bytes = 100u << 10;
    std::vector<sw::Bytes> copied;
    std::vector<sw::SplicedFrame> spliced;
    const std::uint64_t next = sw::encode_frames<Blob>(in, header(), copied, limits);
    REQUIRE(sw::encode_frames<Blob>(in, header(), spliced, limits) == next);
    REQUIRE(spliced.size() == copied.size());
    REQUIRE(spliced.size() > 20);
    std::size_t splices = 0;
    std::vector<Blob> back;
    for (std::size_t f = 0; f < spliced.size(); ++f) {
      INFO("seed " << seed << ", frame " << f);
      const sw::SplicedFrame& frame = spliced[f];
      REQUIRE(frame.size() == copied[f].size());
      REQUIRE(frame.size() <= limits.max_frame_bytes);
      REQUIRE(raw(frame.flatten()) == raw(copied[f]));  // header and checksum included
      // The head holds no value of 4 KiB or more: those are shared with the items.
      REQUIRE(frame.head.size() < frame.size() - (frame.splices.empty() ? 0 : 4000));
      for (const sw::Splice& s : frame.splices) {
        REQUIRE(s.bytes.size() >= limits.splice_min_bytes);
        REQUIRE(s.at >= sw::kFrameHeaderBytes);
        REQUIRE(s.at <= frame.head.size());
      }
      splices += frame.splices.size();
      sw::decode_frame(sw::parse_frame(frame.flatten()), back);
    }
    REQUIRE(back == in);
    std::size_t large = 0;
    for (const Blob& b : in) {
      large += (b.payload.size() >= 4096 ? 1 : 0) + (b.note.size() >= 4096 ? 1 : 0);
    }
    CHECK(splices == large);
    // Shared, not copied: a spliced value points into the item's own buffer.
    const auto shares_item = [&](const sw::Splice& s) {
      for (const Blob& b : in) {
        if (s.bytes.data() == b.payload.data() || s.bytes.data() == b.note.bytes().data()) {
          return true;
        }
      }
      return false;
    };
    for (const sw::SplicedFrame& frame : spliced) {
      for (const sw::Splice& s : frame.splices) CHECK(shares_item(s));
    }
  }
}

TEST_CASE("Splicing can be switched off, and an item too large names its size", "[serde][frame]") {
  const std::vector<Blob> in = blobs(50, 9);
  sw::FrameLimits limits;
  limits.splice_min_bytes = 0;
  std::vector<sw::SplicedFrame> out;
  (void)sw::encode_frames<Blob>(in, header(), out, limits);
  for (const sw::SplicedFrame& frame : out) CHECK(frame.splices.empty());

  // A spliced value counts against the maximum as a copied one does: 4 + 3 + 70 000 + 2 bytes.
  std::vector<Blob> big{Blob{1, sw::Bytes::copy_of(std::string(70000, 'x')), sw::Str("n")}};
  limits.splice_min_bytes = 4096;
  limits.max_frame_bytes = 60000;
  out.clear();
  REQUIRE_THROWS_WITH(sw::encode_frames<Blob>(big, header(), out, limits),
                      Catch::Contains("one item encodes to 70009 bytes") &&
                          Catch::Contains("maximum frame size of 60000"));
}

TEST_CASE("A receiver reads a frame's header once and checks its content later", "[serde][frame]") {
  const std::vector<Bid> in = bids(30);
  std::vector<sw::Bytes> out;
  sw::encode_frames<Bid>(in, header(), out);
  REQUIRE(out.size() == 1);
  // The header alone: what routing needs, without reading the payload.
  const sw::FrameHeader h = sw::read_frame_header(out[0]);
  CHECK(h.edge == header().edge);
  CHECK(h.target_instance == header().target_instance);
  CHECK(h.items == in.size());
  const sw::Frame f = sw::check_frame(out[0], h);
  std::vector<Bid> back;
  sw::decode_frame(f, back);
  CHECK(back == in);
  // A corrupted payload passes the header read and is caught by the content check.
  std::vector<std::byte> bad = raw(out[0]);
  bad.back() ^= std::byte{0x10};
  const sw::Bytes corrupted = sw::Bytes::copy_of(bad);
  const sw::FrameHeader read = sw::read_frame_header(corrupted);
  CHECK_THROWS_WITH(sw::check_frame(corrupted, read),
                    Catch::Contains("does not match the content"));
  // A header that does not belong to the bytes is refused.
  sw::FrameHeader other = read;
  other.payload_bytes += 1;
  CHECK_THROWS_WITH(sw::check_frame(corrupted, other), Catch::Contains("header says"));
}
