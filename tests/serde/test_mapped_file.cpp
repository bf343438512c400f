#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <streamweave/serde/mapped_file.hpp>
#include <streamweave/serde/str.hpp>
#include <system_error>
#include <vector>

namespace {
std::filesystem::path temp_file(const std::string& name, const std::string& content) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}
}  // namespace

TEST_CASE("A mapped file's lines are Str slices of the mapping", "[serde][mapped]") {
  const auto path = temp_file("streamweave-mapped.txt", "alpha\nbeta\ngamma\n");
  std::vector<sw::Str> lines;
  {
    const sw::Bytes file = sw::map_file(path.string());
    REQUIRE(file.size() == 17);
    std::size_t begin = 0;
    for (std::size_t i = 0; i < file.size(); ++i) {
      if (file.data()[i] == std::byte{'\n'}) {
        lines.emplace_back(file.slice(begin, i));
        begin = i + 1;
      }
    }
    REQUIRE(lines[1].bytes().owner() == file.owner());  // no copy
  }
  // The mapping outlives the Bytes it came from while lines refer to it (ASan checks).
  REQUIRE(lines.size() == 3);
  REQUIRE(lines[0] == std::string_view("alpha"));
  REQUIRE(lines[2] == std::string_view("gamma"));
  std::filesystem::remove(path);
}

TEST_CASE("Mapping a missing or empty file", "[serde][mapped]") {
  REQUIRE_THROWS_WITH(sw::map_file("/nonexistent/streamweave.txt"),
                      Catch::Contains("open /nonexistent/streamweave.txt"));
  REQUIRE_THROWS_AS(sw::map_file("/nonexistent/streamweave.txt"), std::system_error);
  const auto empty = temp_file("streamweave-empty.txt", "");
  REQUIRE(sw::map_file(empty.string()).empty());
  std::filesystem::remove(empty);
}

TEST_CASE("A slice of a mapped file knows its file and line, other bytes do not",
          "[serde][mapped]") {
  const auto path = temp_file("streamweave-position.txt", "one\ntwo\n\nfour\nfive");
  const sw::Bytes file = sw::map_file(path.string());
  const auto first = sw::file_position(file.slice(0, 3));
  REQUIRE(first);
  CHECK(*first->file == path.string());
  CHECK(first->line == 1);
  CHECK(first->offset == 0);
  const auto fourth = sw::file_position(file.slice(9, 13));  // "four"
  REQUIRE(fourth);
  CHECK(fourth->line == 4);
  CHECK(fourth->offset == 9);
  CHECK(sw::where_in_file(file.slice(14, 18)) == path.string() + ":5");
  CHECK_FALSE(sw::file_position(sw::Bytes::copy_of(std::string_view("one"))));
  CHECK_FALSE(sw::file_position(sw::Bytes{}));
  CHECK(sw::where_in_file(sw::Bytes::copy_of(std::string_view("x"))).empty());
  std::filesystem::remove(path);
}

TEST_CASE("Mapping what is not a regular file is an error naming it", "[serde][mapped]") {
  REQUIRE_THROWS_WITH(sw::map_file("/dev/null"),
                      Catch::Contains("not a regular file") && Catch::Contains("/dev/null"));
}

TEST_CASE("A mapped file that shrinks reads as zeros and says so, instead of SIGBUS",
          "[serde][mapped]") {
  const long page = ::sysconf(_SC_PAGESIZE);
  const std::string content(static_cast<std::size_t>(page) * 4, 'x');
  const auto path = temp_file("streamweave-shrinks.txt", content);
  const sw::Bytes file = sw::map_file(path.string());
  const auto stays = temp_file("streamweave-stays.txt", content);
  const sw::Bytes other = sw::map_file(stays.string());
  CHECK(static_cast<char>(file.data()[0]) == 'x');
  CHECK_FALSE(sw::file_shrunk_at(file));
  const std::uint64_t faults_before = sw::mapped_file_faults();

  std::filesystem::resize_file(path, static_cast<std::uintmax_t>(page));
  const std::size_t at = static_cast<std::size_t>(page) * 2 + 10;
  // Without the handler this read ends the process (SIGBUS).
  CHECK(file.data()[at] == std::byte{0});
  CHECK(file.data()[at + static_cast<std::size_t>(page)] == std::byte{0});
  CHECK(static_cast<char>(file.data()[10]) == 'x');  // what is still in the file stays
  REQUIRE(sw::file_shrunk_at(file));
  CHECK(*sw::file_shrunk_at(file) == at);
  CHECK(sw::file_shrunk_at(file.slice(0, 1)) == sw::file_shrunk_at(file));
  CHECK_FALSE(sw::file_shrunk_at(other));
  CHECK(sw::mapped_file_faults() > faults_before);
  const std::string expected = path.string() + " shrank while being read (" +
                               std::to_string(content.size()) + " bytes when opened, " +
                               std::to_string(page) + " bytes now): the read at byte offset " +
                               std::to_string(at);
  CHECK_THAT(sw::last_mapped_file_fault(), Catch::StartsWith(expected));
  CHECK_THROWS_AS(sw::throw_if_file_shrunk(file), sw::FileShrunk);
  CHECK_THROWS_WITH(sw::throw_if_file_shrunk(file), Catch::StartsWith(expected));
  CHECK_NOTHROW(sw::throw_if_file_shrunk(other));
  CHECK_NOTHROW(sw::throw_if_file_shrunk(sw::Bytes::copy_of(std::string_view("x"))));
  std::filesystem::remove(path);
  std::filesystem::remove(stays);
}
