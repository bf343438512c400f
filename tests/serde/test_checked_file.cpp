// Checked files (checkpoint state and manifests on disk): what is written reads back; a
// truncated, torn, corrupted or mislabelled file is a CorruptFile naming the file and the
// byte, never a crash or a misread; a failed write leaves nothing under the name.
#include <catch2/catch.hpp>
#include <streamweave/serde/checked_file.hpp>

#include <string>
#include <system_error>

#include "support/temp_dir.hpp"

namespace {

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

sw::Bytes file_bytes(const std::string& content) {
  return sw::Bytes::copy_of(std::string_view(content));
}

// The CorruptFile message for `content` read as a checked file of `kind`, or "" when it reads.
std::string error_reading(const std::string& content, sw::FileKind kind = sw::FileKind::manifest) {
  try {
    (void)sw::checked_payload(file_bytes(content), kind, "/ck/x");
  } catch (const sw::CorruptFile& e) {
    CHECK(e.path() == "/ck/x");
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a checked file reads back what was written, in pieces or whole") {
  sw::test::TempDir dir;
  const std::string path = dir.file("state");
  const std::string text = "key groups 0..4095";
  const std::span<const std::byte> pieces[] = {bytes_of("key groups "), bytes_of("0..4095")};
  sw::write_checked_file(path, sw::FileKind::operator_state, pieces);
  CHECK(sw::read_checked_file(path, sw::FileKind::operator_state).as_string_view() == text);
  CHECK(sw::test::TempDir::read(path).size() == sw::kCheckedFileHeaderBytes + text.size());
  CHECK(dir.count() == 1);  // the temporary file is gone

  sw::write_checked_file(path, sw::FileKind::manifest, std::span<const std::byte>{});
  CHECK(sw::read_checked_file(path, sw::FileKind::manifest).empty());
  sw::sync_directory(dir.file(""));
}

TEST_CASE("every truncation and every flipped byte of a checked file is found") {
  sw::test::TempDir dir;
  const std::string path = dir.file("m");
  sw::write_checked_file(path, sw::FileKind::manifest, bytes_of("the manifest's payload"));
  const std::string good = sw::test::TempDir::read(path);
  REQUIRE(error_reading(good).empty());
  for (std::size_t n = 0; n < good.size(); ++n) {
    INFO("truncated to " << n << " bytes");
    CHECK_THAT(error_reading(good.substr(0, n)), Catch::Contains("/ck/x: checkpoint manifest"));
  }
  for (std::size_t at = 0; at < good.size(); ++at) {
    for (const unsigned char flip : {0x01, 0x80}) {
      std::string bad = good;
      bad[at] = static_cast<char>(bad[at] ^ flip);
      INFO("byte " << at << " flipped by " << int{flip});
      CHECK_FALSE(error_reading(bad).empty());
    }
  }
  CHECK_THAT(error_reading(good + "x"), Catch::Contains("trailing bytes"));
  CHECK_THAT(error_reading(good.substr(0, good.size() - 1)),
             Catch::Contains("truncated: 21 payload bytes, the header says 22"));
  CHECK_THAT(error_reading(good.substr(0, 10)), Catch::Contains("at byte 10: truncated"));
  CHECK_THAT(error_reading(std::string(40, 'x')),
             Catch::Contains("at byte 0: not a StreamWeave checked file"));
  std::string payload_flipped = good;
  payload_flipped.back() = static_cast<char>(payload_flipped.back() ^ 1);
  CHECK_THAT(error_reading(payload_flipped), Catch::Contains("byte 24: payload checksum mismatch"));
}

TEST_CASE("a checked file of another kind is refused by name") {
  sw::test::TempDir dir;
  sw::write_checked_file(dir.file("s"), sw::FileKind::operator_state, bytes_of("x"));
  CHECK_THROWS_WITH(sw::read_checked_file(dir.file("s"), sw::FileKind::manifest),
                    Catch::Contains("checkpoint manifest file at byte 6: holds operator state"));
}

TEST_CASE("a checked file that cannot be written or read says why and leaves nothing") {
  sw::test::TempDir dir;
  const std::string missing = dir.file("no/such/dir/state");
  CHECK_THROWS_AS(sw::write_checked_file(missing, sw::FileKind::manifest, bytes_of("x")),
                  std::system_error);
  CHECK_THROWS_WITH(sw::write_checked_file(missing, sw::FileKind::manifest, bytes_of("x")),
                    Catch::Contains(missing));
  CHECK_THROWS_WITH(sw::read_checked_file(dir.file("absent"), sw::FileKind::manifest),
                    Catch::Contains("absent"));
  CHECK_THROWS_AS(sw::sync_directory(dir.file("absent")), std::system_error);
  // A write over an existing file that fails halfway keeps the old file whole: the new bytes
  // go to a temporary file, renamed only once complete (here: a directory in its way).
  sw::write_checked_file(dir.file("kept"), sw::FileKind::manifest, bytes_of("old"));
  std::filesystem::create_directory(dir.file("kept.tmp"));
  CHECK_THROWS_AS(sw::write_checked_file(dir.file("kept"), sw::FileKind::manifest, bytes_of("new")),
                  std::system_error);
  CHECK(sw::read_checked_file(dir.file("kept"), sw::FileKind::manifest).as_string_view() == "old");
}
