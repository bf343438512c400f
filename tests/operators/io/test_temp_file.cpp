// Temporary file names (host and pid in them) and the removal of those dead processes left.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <streamweave/operators/io/temp_file.hpp>
#include <string>

#include "support/temp_dir.hpp"

TEST_CASE("temp_name: stem, host and pid, read back by parse_temp_name") {
  const std::string name = sw::temp_name("rows.jsonl");
  const auto parsed = sw::parse_temp_name(name);
  REQUIRE(parsed);
  CHECK(parsed->stem == "rows.jsonl");
  CHECK(parsed->pid == ::getpid());
  CHECK_FALSE(parsed->host.empty());
  const auto dashed = sw::parse_temp_name("a-b.streamweave-my-host-42.tmp");
  REQUIRE(dashed);
  CHECK(dashed->stem == "a-b");
  CHECK(dashed->host == "my-host");
  CHECK(dashed->pid == 42);
  for (const char* other : {"rows.jsonl", "x.streamweave-host-.tmp", "x.streamweave-42.tmp",
                            "x.streamweave-host-4x2.tmp", "x.streamweave-host-42.tmpx", ".tmp"}) {
    CHECK_FALSE(sw::parse_temp_name(other));
  }
}

TEST_CASE("remove_stale_temp_files: only this host's files of processes that are gone") {
  sw::test::TempDir dir;
  const std::string mine = sw::temp_name("out.csv");  // this process: alive
  const auto host = sw::parse_temp_name(mine)->host;
  // A pid above the kernel's pid_max (4194304) belongs to no process.
  const std::string dead = "out.csv.streamweave-" + host + "-99999999.tmp";
  const std::string other_host = "out.csv.streamweave-elsewhere-99999999.tmp";
  const std::string other_stem = "in.csv.streamweave-" + host + "-99999999.tmp";
  for (const std::string& name : {mine, dead, other_host, other_stem}) dir.write(name, "x");
  dir.write("out.csv", "kept");

  CHECK(sw::remove_stale_temp_files(dir.file(""), "out.csv") == 1);
  CHECK_FALSE(std::filesystem::exists(dir.file(dead)));
  for (const std::string& name : {mine, other_host, other_stem, std::string("out.csv")}) {
    CHECK(std::filesystem::exists(dir.file(name)));
  }
  // By prefix, as generated samples are named ("<stem>-<n>").
  dir.write("sample-3.streamweave-" + host + "-99999999.tmp", "x");
  CHECK(sw::remove_stale_temp_files(dir.file(""), "sample-", true) == 1);
  CHECK(sw::remove_stale_temp_files("/nonexistent/streamweave", "x") == 0);
}
