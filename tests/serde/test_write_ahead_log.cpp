// The write-ahead log: records come back as written, across segments and reopenings; a torn
// record at the end is cut off, damage anywhere else names the segment and the byte.
#include <catch2/catch.hpp>
#include <streamweave/serde/checked_file.hpp>
#include <streamweave/serde/checksum.hpp>
#include <streamweave/serde/write_ahead_log.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace {

std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::string record(std::size_t i) {
  return std::string(1 + (i * 37) % 300, static_cast<char>('a' + i % 26)) + std::to_string(i);
}

std::vector<std::string> read_all(const std::filesystem::path& dir, std::uint64_t from = 0,
                                  std::optional<std::uint64_t> to = std::nullopt) {
  std::vector<std::string> out;
  sw::WalReader reader(dir, from, to);
  while (auto r = reader.next()) out.emplace_back(r->as_string_view());
  return out;
}

void flip_byte(const std::filesystem::path& file, std::size_t at) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  const char c = static_cast<char>(f.get());
  f.seekp(static_cast<std::streamoff>(at));
  f.put(static_cast<char>(c ^ 0x20));
}

template <class T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

// A record as the writer lays it out.
std::string record_bytes(const std::string& payload) {
  std::string header;
  put(header, static_cast<std::uint32_t>(payload.size()));
  put(header, sw::crc32c(bytes_of(payload), sw::crc32c(bytes_of(header))));
  return header + payload;
}

// Padding as the writer lays it out: `length` bytes of zeros after its header, of which
// `written` are there.
std::string padding_bytes(std::uint32_t length, std::size_t written) {
  std::string header;
  put(header, length | sw::kWalPaddingFlag);
  put(header, sw::crc32c(bytes_of(header)));
  return header + std::string(written, '\0');
}

// A 4 KiB segment file of `version` starting at position 0 that holds `body`.
std::string segment_file(std::uint16_t version, const std::string& body) {
  std::string file;
  put(file, sw::kWalMagic);
  put(file, version);
  put(file, std::uint16_t{0});
  put(file, std::uint64_t{0});
  put(file, std::uint64_t{4096});
  put(file, sw::crc32c(bytes_of(file)));
  put(file, std::uint32_t{0});
  file += body;
  file.resize(4096, '\0');
  return file;
}

std::vector<std::string> payloads(const sw::WalSegmentView& view, const std::string& file) {
  std::vector<std::string> out;
  for (const auto& [offset, length] : view.records) out.push_back(file.substr(offset, length));
  return out;
}

}  // namespace

TEST_CASE("records come back in order, across segments and after reopening") {
  sw::test::TempDir dir;
  const auto log = dir.file("wal");
  std::vector<std::string> written;
  std::vector<std::uint64_t> positions;
  {
    sw::WalWriter writer(log, 4096);
    for (std::size_t i = 0; i < 200; ++i) {
      written.push_back(record(i));
      positions.push_back(writer.append(bytes_of(written.back())));
      if (i % 7 == 0) writer.commit();
    }
    writer.commit();
    CHECK(writer.torn_bytes() == 0);
  }
  CHECK(sw::wal_segments(log).size() > 5);
  CHECK(read_all(log) == written);
  {
    sw::WalWriter writer(log, 4096);  // appends after what is there
    CHECK(writer.end() == positions.back() + 8 + written.back().size());
    written.push_back("after reopening");
    positions.push_back(writer.append(bytes_of(written.back())));
    writer.commit();
  }
  CHECK(read_all(log) == written);
  // From any record's position, up to any other's.
  CHECK(read_all(log, positions[120]) ==
        std::vector<std::string>(written.begin() + 120, written.end()));
  CHECK(read_all(log, positions[10], positions[12]) ==
        std::vector<std::string>(written.begin() + 10, written.begin() + 12));
  CHECK_THROWS_WITH(read_all(log, positions[10] + 1), Catch::Contains("no record at position"));
}

TEST_CASE("a record in pieces, and one larger than a segment") {
  sw::test::TempDir dir;
  const std::string a = "head:";
  const std::string big(10'000, 'x');
  {
    sw::WalWriter writer(dir.file("wal"), 4096);
    const std::span<const std::byte> pieces[] = {bytes_of(a), bytes_of(big)};
    (void)writer.append(pieces);
    (void)writer.append(bytes_of(a));
    writer.commit();
    CHECK_THROWS_AS(writer.append(std::span<const std::byte>{}), std::length_error);
  }
  CHECK(read_all(dir.file("wal")) == std::vector<std::string>{a + big, a});
}

TEST_CASE("a torn record at the end is cut off, and the log goes on after it") {
  sw::test::TempDir dir;
  const auto log = dir.file("wal");
  std::uint64_t last = 0;
  {
    sw::WalWriter writer(log);
    for (std::size_t i = 0; i < 10; ++i) last = writer.append(bytes_of(record(i)));
    writer.commit();
  }
  // The last record half-written: its checksum does not match.
  flip_byte(sw::wal_segments(log).back(), sw::kWalHeaderBytes + last + 10);
  CHECK(read_all(log).size() == 9);
  {
    std::ifstream in(sw::wal_segments(log).back(), std::ios::binary);
    const std::string file{std::istreambuf_iterator<char>(in), {}};
    const sw::WalSegmentView view = sw::parse_wal_segment(
        std::as_bytes(std::span(file.data(), file.size())), sw::wal_segments(log).back(), true);
    CHECK(view.torn);
    CHECK(view.torn_bytes == 8 + record(9).size());  // what `checkpoints list` reports
  }
  {
    sw::WalWriter writer(log);
    CHECK(writer.torn_bytes() == 8 + record(9).size());
    CHECK(writer.end() == last);
    (void)writer.append(bytes_of(std::string("x")));  // shorter: old bytes follow it
    writer.commit();
  }
  const std::vector<std::string> after = read_all(log);
  REQUIRE(after.size() == 10);
  CHECK(after.back() == "x");
}

TEST_CASE("damage before the last segment names the segment and the byte") {
  sw::test::TempDir dir;
  const auto log = dir.file("wal");
  {
    sw::WalWriter writer(log, 4096);
    for (std::size_t i = 0; i < 100; ++i) (void)writer.append(bytes_of(record(i)));
    writer.commit();
  }
  const auto segments = sw::wal_segments(log);
  REQUIRE(segments.size() > 2);
  flip_byte(segments[1], sw::kWalHeaderBytes + 20);
  CHECK_THROWS_WITH(read_all(log), Catch::Contains(segments[1].string() +
                                                   ": write-ahead log segment file at byte 32: "
                                                   "record checksum mismatch"));
  CHECK_THROWS_AS(sw::WalWriter(log, 4096), sw::CorruptFile);
  // A header that does not check out, and a segment missing in the middle.
  flip_byte(segments[1], 3);
  CHECK_THROWS_WITH(read_all(log), Catch::Contains("not a StreamWeave write-ahead log segment"));
  std::filesystem::remove(segments[1]);
  CHECK_THROWS_WITH(sw::WalWriter(log, 4096),
                    Catch::Contains(segments[2].string()) && Catch::Contains("the segment before"));
}

TEST_CASE("truncation removes the segments wholly before a position, clear every record") {
  sw::test::TempDir dir;
  const auto log = dir.file("wal");
  sw::WalWriter writer(log, 4096);
  std::vector<std::uint64_t> positions;
  for (std::size_t i = 0; i < 100; ++i) positions.push_back(writer.append(bytes_of(record(i))));
  writer.commit();
  const std::size_t before = sw::wal_segments(log).size();
  writer.truncate_before(positions[60]);
  const std::size_t kept = sw::wal_segments(log).size();
  CHECK(kept < before);
  CHECK(read_all(log, positions[60]).size() == 40);  // still readable from there
  writer.truncate_before(writer.end() + 1000);
  CHECK(sw::wal_segments(log).size() == 1);  // the segment being appended to stays
  const std::uint64_t end = writer.end();
  writer.clear();
  REQUIRE(sw::wal_segments(log).size() == 1);
  CHECK(read_all(log, end).empty());
  CHECK(sw::WalWriter(log, 4096).end() == end);  // positions go on after a clear
  const std::uint64_t next = writer.append(bytes_of(std::string("again")));
  writer.commit();
  CHECK(read_all(log, next) == std::vector<std::string>{"again"});
}

TEST_CASE("parse_wal_segment of random damage never reads past the segment") {
  sw::test::TempDir dir;
  const auto log = dir.file("wal");
  {
    sw::WalWriter writer(log, 4096);
    for (std::size_t i = 0; i < 12; ++i) (void)writer.append(bytes_of(record(i)));
    writer.commit();
  }
  std::ifstream in(sw::wal_segments(log).front(), std::ios::binary);
  const std::string clean((std::istreambuf_iterator<char>(in)), {});
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string file = clean;
    file[rng() % file.size()] = static_cast<char>(rng());
    if (round % 3 == 0) file.resize(rng() % file.size());
    try {
      const sw::WalSegmentView view = sw::parse_wal_segment(bytes_of(file), "x", true);
      for (const auto& [offset, length] : view.records) REQUIRE(offset + length <= file.size());
    } catch (const sw::DecodeError& e) {
      CHECK_THAT(e.what(), Catch::StartsWith("x: write-ahead log segment file at byte"));
    }
  }
}

TEST_CASE("a commit of many bytes pads the log to a 64 KiB boundary and readers skip it") {
  sw::test::TempDir dir;
  const auto log = dir.file("wal");
  std::vector<std::string> written;
  std::vector<std::uint64_t> positions;
  std::uint64_t before_commit = 0;
  std::uint64_t after_commit = 0;
  {
    sw::WalWriter writer(log);
    for (std::size_t i = 0; i < 3; ++i) {
      written.push_back(std::string(100'000, static_cast<char>('a' + i)));
      positions.push_back(writer.append(bytes_of(written.back())));
    }
    before_commit = writer.end();
    CHECK(before_commit == 3 * (8 + 100'000));
    writer.commit();
    after_commit = writer.end();
    // The segment starts at position 0: a position's file offset is 32 more.
    CHECK((after_commit + sw::kWalHeaderBytes) % sw::kWalAlignBytes == 0);
    CHECK(after_commit - before_commit >= 8);
    CHECK(after_commit - before_commit < sw::kWalAlignBytes + 8);
    // A small commit is not padded.
    written.emplace_back("small");
    positions.push_back(writer.append(bytes_of(written.back())));
    writer.commit();
    CHECK(writer.end() == after_commit + 8 + 5);
  }
  CHECK(positions[3] == after_commit);
  CHECK(read_all(log) == written);
  CHECK(read_all(log, positions[3]) == std::vector<std::string>{"small"});
  // end() taken before the commit is where the padding starts: a reader may start there.
  CHECK(read_all(log, before_commit) == std::vector<std::string>{"small"});
  CHECK(read_all(log, 0, before_commit).size() == 3);
  sw::WalReader reader(log, 0);
  for (int i = 0; i < 3; ++i) REQUIRE(reader.next());
  CHECK(reader.position() == positions[3]);  // past the padding
  CHECK(sw::WalWriter(log).end() == positions[3] + 8 + 5);
}

TEST_CASE("records gathered for a group commit are written by a clean close without one") {
  sw::test::TempDir dir;
  const auto log = dir.file("wal");
  std::vector<std::string> written;
  {
    sw::WalWriter writer(log);
    for (std::size_t i = 0; i < 40; ++i) {
      written.push_back(record(i));
      (void)writer.append(bytes_of(written.back()));
      if (i == 4) writer.commit();  // five records in one commit: the next are gathered
    }
  }
  CHECK(read_all(log) == written);
}

TEST_CASE("version 1 segments are read and padding in them is damage") {
  const std::string body = record_bytes("one") + padding_bytes(16, 16) + record_bytes("two");
  const std::string v2 = segment_file(2, body);
  const sw::WalSegmentView view = sw::parse_wal_segment(bytes_of(v2), "x", false);
  CHECK(payloads(view, v2) == std::vector<std::string>{"one", "two"});
  CHECK(view.end == sw::kWalHeaderBytes + body.size());
  // Version 1 has no padding: what follows "one" is a torn record (or, before the last
  // segment, corruption).
  const std::string v1 = segment_file(1, body);
  const sw::WalSegmentView old = sw::parse_wal_segment(bytes_of(v1), "x", true);
  CHECK(payloads(old, v1) == std::vector<std::string>{"one"});
  CHECK(old.torn);
  CHECK_THROWS_WITH(sw::parse_wal_segment(bytes_of(v1), "x", false),
                    Catch::Contains("at byte 43: a record of 2147483664 bytes runs past the end"));
  const std::string v1_clean = segment_file(1, record_bytes("one") + record_bytes("two"));
  CHECK(payloads(sw::parse_wal_segment(bytes_of(v1_clean), "x", false), v1_clean) ==
        std::vector<std::string>{"one", "two"});
  CHECK_THROWS_WITH(sw::parse_wal_segment(bytes_of(segment_file(3, body)), "x", true),
                    Catch::Contains("version 3, this build reads 1 to 2"));
  // Damaged padding: its checksum, or a length past the end.
  std::string bad = v2;
  bad[sw::kWalHeaderBytes + 11 + 5] ^= 1;
  CHECK_THROWS_WITH(sw::parse_wal_segment(bytes_of(bad), "x", false),
                    Catch::Contains("at byte 43: padding checksum mismatch"));
  CHECK(payloads(sw::parse_wal_segment(bytes_of(bad), "x", true), bad) ==
        std::vector<std::string>{"one"});
  const std::string long_padding = segment_file(2, padding_bytes(5000, 0));
  CHECK_THROWS_WITH(sw::parse_wal_segment(bytes_of(long_padding), "x", false),
                    Catch::Contains("padding of 5000 bytes runs past the end"));
}
