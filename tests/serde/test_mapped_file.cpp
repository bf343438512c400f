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
