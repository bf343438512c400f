#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <streamweave/streamweave.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/helpers.hpp"
#include "support/temp_dir.hpp"
#include "support/watchdog.hpp"

namespace {

std::vector<std::string> read_all(const std::string& path, unsigned parallelism,
                                  std::size_t batch = 1024) {
  sw::Graph g{"read"};
  std::vector<sw::Str> lines;
  g.source("lines", sw::read_lines(path), {.parallelism = parallelism, .batch_size = batch})
      .sink("out", sw::collect(lines), {.parallelism = 1});
  g.run({.threads = 2});
  std::vector<std::string> text;
  for (const sw::Str& s : lines) text.push_back(s.str());
  return text;
}

}  // namespace

TEST_CASE("read_lines: every line once, without its line end, and a last line without one") {
  sw::test::TempDir dir;
  const std::string path = dir.write("a.txt", "alpha\r\nbeta\n\ngamma delta\nlast");
  CHECK(read_all(path, 1) == std::vector<std::string>{"alpha", "beta", "", "gamma delta", "last"});
  CHECK(read_all(dir.write("b.txt", "x\n"), 3) == std::vector<std::string>{"x"});
  CHECK(read_all(dir.write("empty.txt", ""), 2).empty());
}

TEST_CASE("read_lines: the lines are slices of the file's mapping, which name file and line") {
  sw::test::TempDir dir;
  const std::string path = dir.write("a.txt", "one\ntwo\nthree\n");
  sw::Graph g{"slices"};
  std::vector<sw::Str> lines;
  g.source("lines", sw::read_lines(path), {.parallelism = 1})
      .sink("out", sw::collect(lines), {.parallelism = 1});
  g.run({.threads = 1});
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].bytes().owner() == lines[2].bytes().owner());  // one mapping, no copies
  CHECK(sw::where_in_file(lines[2].bytes()) == path + ":3");
}

TEST_CASE("read_lines: any parallelism and batch size read each line exactly once") {
  sw::test::TempDir dir;
  std::mt19937 random(20261123);
  for (int round = 0; round < 12; ++round) {
    std::vector<std::string> expected;
    std::string content;
    const int n = static_cast<int>(random() % 3000);
    for (int i = 0; i < n; ++i) {
      // Mostly short lines, some empty, some longer than a whole instance's range.
      const std::size_t length = random() % 50 == 0 ? random() % 20000 : random() % 40;
      std::string line =
          std::to_string(i) + ":" + std::string(length, static_cast<char>('a' + i % 26));
      if (random() % 20 == 0) line.clear();
      expected.push_back(line);
      content += line + (random() % 10 == 0 ? "\r\n" : "\n");
    }
    if (!expected.empty() && random() % 2 == 0) content.pop_back();  // no final '\n'
    if (!expected.empty() && content.back() == '\r') content.pop_back();
    std::string name = "r";
    name += std::to_string(round);  // (g++ 12 -Wrestrict misfires on "r" + std::to_string())
    const std::string path = dir.write(name, content);
    const unsigned parallelism = 1 + static_cast<unsigned>(random() % 6);
    const std::size_t batch = 1 + random() % 700;
    INFO("round " << round << ", parallelism " << parallelism << ", batch " << batch);
    CHECK(sw::test::sorted(read_all(path, parallelism, batch)) == sw::test::sorted(expected));
  }
}

TEST_CASE("read_lines: a missing file fails the node, naming the node and the path") {
  sw::Graph g{"missing"};
  std::uint64_t n = 0;
  g.source("lines", sw::read_lines("/nonexistent/streamweave.txt")).sink("n", sw::count(n));
  try {
    g.run({.threads = 2});
    FAIL("the run should fail");
  } catch (const sw::NodeError& e) {
    CHECK(e.node() == "lines");
    CHECK_THAT(e.what(),
               Catch::Contains("/nonexistent/streamweave.txt") && Catch::Contains("No such file"));
  }
}

TEST_CASE("read_lines: a FIFO is read as a stream, once, whatever the parallelism") {
  sw::test::Watchdog watchdog("read_lines from a FIFO", std::chrono::seconds(60));
  sw::test::TempDir dir;
  const std::string path = dir.file("fifo");
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  std::vector<std::string> expected;
  for (int i = 0; i < 5000; ++i) expected.push_back("line " + std::to_string(i));
  expected.push_back(std::string(600000, 'L'));  // longer than a read chunk
  expected.emplace_back("the end");
  std::thread writer([&] {
    std::ofstream out(path, std::ios::binary);
    for (std::size_t i = 0; i < expected.size(); ++i) {
      out << expected[i];
      if (i + 1 < expected.size()) out << '\n';  // the last line has no line end
      if (i % 1000 == 0) {
        out.flush();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  });
  const auto lines = read_all(path, 3, 100);
  writer.join();
  CHECK(lines == expected);  // one reader: the order is kept
}

TEST_CASE("read_lines: a file truncated while it is read fails the run, naming it") {
  sw::test::Watchdog watchdog("truncated input");
  sw::test::TempDir dir;
  std::string text;
  for (int i = 0; i < 200000; ++i)
    text += "line " + std::to_string(i) + " of a file that shrinks\n";
  const std::string path = dir.write("shrinks.txt", text);
  for (const unsigned parallelism : {1u, 2u}) {
    dir.write("shrinks.txt", text);
    sw::Graph g{"shrinks"};
    std::uint64_t seen = 0;
    std::atomic<bool> truncated{false};
    g.source("lines", sw::read_lines(path), {.parallelism = parallelism, .batch_size = 64})
        .map("truncate-once",
             [&](const sw::Str& line) {
               if (!truncated.exchange(true)) ::truncate(path.c_str(), 100);
               return line.size();
             })
        .sink("n", sw::count(seen));
    try {
      g.run({.threads = 2});
      FAIL("the run completed over a truncated file");
    } catch (const std::exception& e) {
      CHECK_THAT(e.what(),
                 Catch::Contains(path + " shrank while being read (" + std::to_string(text.size()) +
                                 " bytes when opened, 100 bytes now)"));
    }
    CHECK(seen < 200000);
  }
}
