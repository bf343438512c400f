// FileWriter: atomic replacement of regular files, direct writes to everything else, and
// errors that name the user's path.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <future>
#include <streamweave/operators/io/file_writer.hpp>
#include <streamweave/operators/io/temp_file.hpp>
#include <system_error>

#include "support/temp_dir.hpp"
#include "support/watchdog.hpp"

TEST_CASE("FileWriter: a regular file appears whole at commit, never in part") {
  sw::test::TempDir dir;
  const std::string path = dir.write("out.txt", "old\n");
  {
    sw::detail::FileWriter writer(path);
    writer.append("new\n");
    writer.flush();
    CHECK(sw::test::TempDir::read(path) == "old\n");  // still the old file
    CHECK(std::filesystem::exists(writer.temp_path()));
    CHECK(sw::parse_temp_name(std::filesystem::path(writer.temp_path()).filename().string()));
    writer.commit();
  }
  CHECK(sw::test::TempDir::read(path) == "new\n");
  {
    sw::detail::FileWriter abandoned(path);  // not committed: a failed or cancelled run
    abandoned.append("partial");
    abandoned.flush();
  }
  CHECK(sw::test::TempDir::read(path) == "new\n");
  CHECK(dir.count() == 1);
}

TEST_CASE("FileWriter: a symbolic link keeps being a link, and its target is replaced") {
  sw::test::TempDir dir;
  const std::string target = dir.write("target.txt", "old\n");
  const std::string link = dir.file("link.txt");
  std::filesystem::create_symlink(target, link);
  sw::detail::FileWriter writer(link);
  writer.append("rows\n");
  writer.commit();
  CHECK(std::filesystem::is_symlink(link));
  CHECK(sw::test::TempDir::read(target) == "rows\n");
}

TEST_CASE("FileWriter: a FIFO is written directly, not replaced by a regular file") {
  sw::test::Watchdog watchdog("fifo writer", std::chrono::seconds(30));
  sw::test::TempDir dir;
  const std::string fifo = dir.file("pipe");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto reader = std::async(std::launch::async, [&] { return sw::test::TempDir::read(fifo); });
  {
    sw::detail::FileWriter writer(fifo);  // opens once the reader has
    CHECK(writer.temp_path().empty());
    writer.append("one\ntwo\n");
    writer.commit();
  }
  CHECK(reader.get() == "one\ntwo\n");
  struct stat st {};
  REQUIRE(::stat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
}

TEST_CASE("FileWriter: /dev/fd/N writes to the descriptor") {
  sw::test::TempDir dir;
  const std::string file = dir.file("by-descriptor.txt");
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  {
    sw::detail::FileWriter writer("/dev/fd/" + std::to_string(fd));
    CHECK(writer.temp_path().empty());
    writer.append("via fd\n");
    writer.commit();
  }
  ::close(fd);
  CHECK(sw::test::TempDir::read(file) == "via fd\n");
  CHECK(dir.count() == 1);
}

TEST_CASE("check_output_path: a path that cannot be written is named before anything runs") {
  sw::test::TempDir dir;
  CHECK_NOTHROW(sw::check_output_path(dir.file("new.txt")));
  CHECK_NOTHROW(sw::check_output_path("-"));
  CHECK_NOTHROW(sw::check_output_path("/dev/null"));
  CHECK_THROWS_WITH(sw::check_output_path(dir.file("missing/out.txt")),
                    Catch::Contains("cannot write " + dir.file("missing/out.txt")));
  CHECK_THROWS_WITH(sw::check_output_path(dir.file("")), Catch::Contains("directory"));
  const std::string file = dir.write("file", "x");
  CHECK_THROWS_WITH(sw::check_output_path(file + "/out.txt"), Catch::Contains("not a directory"));
  CHECK_THROWS_AS(sw::check_output_path(""), std::system_error);
  // An unwritable directory names the user's path, not a temporary file's.
  try {
    sw::detail::FileWriter writer(dir.file("missing/out.txt"));
    FAIL("opened a file in a missing directory");
  } catch (const std::system_error& e) {
    CHECK_THAT(e.what(), Catch::StartsWith("cannot write " + dir.file("missing/out.txt")));
  }
}
