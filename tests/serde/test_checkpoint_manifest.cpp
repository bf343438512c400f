// A checkpoint's manifest round-trips through its checked file; a damaged one is a
// CorruptFile naming the file and the byte, never a crash or a misread.
#include <catch2/catch.hpp>
#include <streamweave/serde/checked_file.hpp>
#include <streamweave/serde/checkpoint_manifest.hpp>

#include "support/temp_dir.hpp"

namespace {

sw::CheckpointManifest sample() {
  sw::CheckpointManifest m;
  m.id = 42;
  m.graph = "wordcount";
  m.graph_fingerprint = 0x1234'5678'9abc'def0ULL;
  m.key_groups = 4096;
  m.ranks = 2;
  m.started_unix_ms = 1'796'000'000'000;
  m.duration_us = 1500;
  m.alignment_us = 20;
  m.snapshot_us = 300;
  m.unaligned = true;
  m.files.push_back({"count", "reduce", 1, 2, 1, "count-1.state", 3000, 0xdeadbeef, 120,
                     sw::KeyGroupRange{2048, 4096}});
  m.files.push_back({"read", "read_lines", 0, 1, 0, "read-0.state", 16, 7, 0, {}});
  m.files.push_back(
      {"join", "join", 0, 2, 1, "join-0.inflight", 900, 8, 40, {}, sw::StateFileKind::in_flight});
  return m;
}

}  // namespace

TEST_CASE("a manifest round-trips through its checked file") {
  sw::test::TempDir dir;
  const sw::CheckpointManifest m = sample();
  const sw::Bytes payload = sw::encode_manifest(m);
  sw::write_checked_file(dir.file("_manifest"), sw::FileKind::manifest, payload.span());
  const sw::Bytes back = sw::read_checked_file(dir.file("_manifest"), sw::FileKind::manifest);
  CHECK(sw::parse_manifest(back, dir.file("_manifest")) == m);
  CHECK(sw::parse_manifest(sw::encode_manifest({}), "x") == sw::CheckpointManifest{});
}

TEST_CASE("a manifest that does not decode names its file and the byte in it") {
  const std::string good(sw::encode_manifest(sample()).as_string_view());
  for (std::size_t n = 0; n < good.size(); ++n) {
    INFO("truncated to " << n << " bytes");
    try {
      (void)sw::parse_manifest(sw::Bytes::copy_of(std::string_view(good).substr(0, n)), "/c/m");
      FAIL("decoded a truncated manifest");
    } catch (const sw::CorruptFile& e) {
      CHECK(e.path() == "/c/m");
      CHECK(e.offset() >= sw::kCheckedFileHeaderBytes);
      CHECK(e.offset() <= sw::kCheckedFileHeaderBytes + n);
      CHECK_THAT(e.what(), Catch::StartsWith("/c/m: checkpoint manifest file at byte "));
    }
  }
  CHECK_THROWS_WITH(sw::parse_manifest(sw::Bytes::copy_of(good + "zz"), "/c/m"),
                    Catch::Contains("2 bytes left over"));
}
