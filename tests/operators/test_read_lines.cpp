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
  sw::run(g, {.threads = 2});
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
  sw::run(g, {.threads = 1});
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
    sw::run(g, {.threads = 2});
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
      sw::run(g, {.threads = 2});
      FAIL("the run completed over a truncated file");
    } catch (const std::exception& e) {
      CHECK_THAT(e.what(),
                 Catch::Contains(path + " shrank while being read (" + std::to_string(text.size()) +
                                 " bytes when opened, 100 bytes now)"));
    }
    CHECK(seen < 200000);
  }
}

namespace {

struct ReadResult {
  std::vector<std::string> lines;
  sw::RunReport report;
};

ReadResult read_limited(const std::string& path, sw::RecordLimits limits) {
  sw::Graph g{"limited"};
  std::vector<sw::Str> lines;
  g.source("lines", sw::read_lines(path, limits), {.parallelism = 2, .batch_size = 7})
      .sink("out", sw::collect(lines), {.parallelism = 1});
  ReadResult result{{}, sw::run(g, {.threads = 2})};
  for (const sw::Str& s : lines) result.lines.push_back(s.str());
  return result;
}

}  // namespace

TEST_CASE("read_lines: a 40 MB line through a pipe arrives whole (linear, not quadratic)") {
  sw::test::Watchdog watchdog("long line through a pipe", std::chrono::seconds(60));
  sw::test::TempDir dir;
  const std::string path = dir.file("fifo");
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  const std::size_t kLong = 40u << 20;
  std::vector<std::string> chunks{"first\n"};
  for (std::size_t sent = 0; sent < kLong; sent += 4096) chunks.emplace_back(4096, 'L');
  chunks.emplace_back("\nlast\n");
  std::thread writer = sw::test::feed(path, std::move(chunks));
  const ReadResult r = read_limited(path, {});
  writer.join();
  REQUIRE(r.lines.size() == 3);
  CHECK(r.lines[0] == "first");
  CHECK(r.lines[1].size() == kLong);
  CHECK(r.lines[1].find_first_not_of('L') == std::string::npos);
  CHECK(r.lines[2] == "last");
}

TEST_CASE("read_lines: a line over max_record_bytes fails the run, naming where it starts") {
  sw::test::Watchdog watchdog("too-long line");
  sw::test::TempDir dir;
  const std::string text = "a\nbb\n" + std::string(5000, 'x') + "\nccc\n";
  const std::string file = dir.write("long.txt", text);
  const std::string fifo = dir.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (const std::string& path : {file, fifo}) {
    std::thread writer;
    if (path == fifo) writer = sw::test::feed(fifo, {text});
    try {
      (void)read_limited(path, {.max_record_bytes = 1000});
      FAIL("a 5000-byte line passed a 1000-byte limit");
    } catch (const std::exception& e) {
      CHECK_THAT(e.what(), Catch::Contains(path + ":3 (byte 5): a record longer than 1000 bytes"));
    }
    if (writer.joinable()) writer.join();
  }
}

TEST_CASE("read_lines: skipped too-long lines are counted and named, the rest read") {
  sw::test::Watchdog watchdog("skipped long lines");
  sw::test::TempDir dir;
  const std::string text = "a\n" + std::string(5000, 'x') + "\nbb\n" + std::string(3000, 'y');
  const std::string file = dir.write("long.txt", text);
  const std::string fifo = dir.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (const std::string& path : {file, fifo}) {
    std::thread writer;
    if (path == fifo) writer = sw::test::feed(fifo, {text.substr(0, 3000), text.substr(3000)});
    const ReadResult r = read_limited(path, {.max_record_bytes = 1000, .skip_longer = true});
    if (writer.joinable()) writer.join();
    CHECK(sw::test::sorted(r.lines) == std::vector<std::string>{"a", "bb"});
    const sw::NodeReport& lines = r.report.node("lines");
    CHECK(lines.errors_skipped == 2);
    REQUIRE(lines.first_errors.size() == 2);
    const auto errors = sw::test::sorted(lines.first_errors);
    CHECK_THAT(errors[0], Catch::Contains(path + ":2 (byte 2): a record longer than 1000"));
    CHECK_THAT(errors[1], Catch::Contains(path + ":4 (byte 5006): a record longer than 1000"));
    CHECK_THAT(r.report.summary(), Catch::Contains("2 errors skipped at lines; the first:"));
  }
}

TEST_CASE("read_lines: a stream without line ends holds at most the limit, then goes on") {
  sw::test::Watchdog watchdog("endless line");
  sw::test::TempDir dir;
  const std::string fifo = dir.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::thread writer([&] {  // 64 MiB without a line end, made as it goes
    std::ofstream out(fifo, std::ios::binary);
    const std::string chunk(64 * 1024, 'z');
    for (int i = 0; i < 1024; ++i) out << chunk;
    out << "\nafter\n";
  });
  const ReadResult r = read_limited(fifo, {.max_record_bytes = 1u << 20, .skip_longer = true});
  writer.join();
  CHECK(r.lines == std::vector<std::string>{"after"});
  CHECK(r.report.node("lines").errors_skipped == 1);
  // The reader held about the limit and what one read adds, not the 64 MiB of the line
  // (ASan's quarantine and shadow memory make RSS no measure there).
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  CHECK(r.report.peak_rss_bytes < (48u << 20));
#endif
}

TEST_CASE("read_lines: lines of a pipe know their stream, line and byte offset") {
  sw::test::Watchdog watchdog("stream positions");
  sw::test::TempDir dir;
  const std::string fifo = dir.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::thread writer =
      sw::test::feed(fifo, {"one\ntw", "o\n\nfour\n", std::string(300000, 'p') + "\nsix"});
  sw::Graph g{"positions"};
  std::vector<sw::Str> lines;
  g.source("lines", sw::read_lines(fifo)).sink("out", sw::collect(lines), {.parallelism = 1});
  sw::run(g, {.threads = 2});
  writer.join();
  REQUIRE(lines.size() == 6);
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> expected{{1, 0}, {2, 4},  {3, 8},
                                                                      {4, 9}, {5, 14}, {6, 300015}};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;  // an empty slice holds no buffer, so knows no place
    const auto position = sw::file_position(lines[i].bytes());
    REQUIRE(position);
    CHECK(*position->file == fifo);
    CHECK(position->line == expected[i].first);
    CHECK(position->offset == expected[i].second);
  }
}
