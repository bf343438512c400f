// wordcount against `tr -cs 'A-Za-z' '\n' | sort | uniq -c` on the same file.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdio>
#include <fstream>

#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include <streamweave/streamweave.hpp>

#include "support/temp_dir.hpp"
#include "support/watchdog.hpp"
#include "wordcount.hpp"

namespace {

std::map<std::string, std::uint64_t> unix_count(const std::string& path) {
  const std::string command = "tr -cs 'A-Za-z' '\\n' < '" + path + "' | sort | uniq -c";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::map<std::string, std::uint64_t> counts;
  char line[4096];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    std::istringstream in(line);
    std::uint64_t n = 0;
    std::string word;
    in >> n >> word;
    if (!word.empty()) counts[word] += n;  // tr leaves an empty line before leading non-letters
  }
  REQUIRE(::pclose(pipe) == 0);
  return counts;
}

std::map<std::string, std::uint64_t> streamweave_count(const std::string& input,
                                                       const std::string& output,
                                                       const sw::RunOptions& options) {
  sw::Graph g{"wordcount"};
  sw::examples::PipelineConfig config;
  config.input = input;
  config.output = output;
  std::ostringstream printed;
  auto print = sw::examples::build_wordcount(g, config);
  print(printed, sw::run(g, options));
  CHECK_THAT(printed.str(), Catch::Contains("top words:"));
  std::map<std::string, std::uint64_t> counts;
  std::istringstream lines(sw::test::TempDir::read(output));
  std::uint64_t n = 0;
  std::string word;
  while (lines >> n >> word) {
    CHECK(counts.count(word) == 0);  // one line per word
    counts[word] = n;
  }
  return counts;
}

}  // namespace

TEST_CASE("wordcount agrees with tr | sort | uniq -c, with any parallelism and batch size") {
  sw::test::Watchdog watchdog("wordcount", std::chrono::seconds(120));
  sw::test::TempDir dir;
  const std::string text = dir.file("text.txt");
  sw::examples::write_sample_text(text, 200000, 42);
  const auto expected = unix_count(text);
  REQUIRE(expected.size() > 1000);
  std::mt19937 random(11);
  for (int round = 0; round < 4; ++round) {
    sw::RunOptions options;
    options.threads = 1 + static_cast<unsigned>(random() % 4);
    options.batch_size = 1 + random() % 2000;
    INFO("threads " << options.threads << ", batch " << options.batch_size);
    CHECK(streamweave_count(text, dir.file("counts.txt"), options) == expected);
  }
}

TEST_CASE("wordcount: odd text — no letters, non-ASCII bytes, CRLF, no final line end") {
  sw::test::TempDir dir;
  const std::string text =
      dir.write("odd.txt", "123 --- ...\r\n\xc3\xa9t\xc3\xa9 caf\xc3\xa9\tCafe cafe\r\nx\n\n  y");
  CHECK(streamweave_count(text, dir.file("counts.txt"), {}) == unix_count(text));
}

TEST_CASE("wordcount in distributed mode: the file split over ranks, the same counts",
          "[distributed]") {
  sw::test::Watchdog watchdog("wordcount distributed", std::chrono::seconds(120));
  // A text every Debian machine has, at the same path on every rank.
  const std::string text = "/usr/share/common-licenses/GPL-3";
  if (!std::ifstream(text)) {
    WARN("no " << text << ": skipped");
    return;
  }
  // Every rank runs the same graph; the file sink (one instance) is on rank 0, which alone
  // writes and reads the file. Named after mpirun (the ranks' parent), so concurrent jobs
  // do not share it.
  const std::string output = (std::filesystem::temp_directory_path() /
                              ("streamweave-wordcount-distributed-" + std::to_string(::getppid()) +
                               "-" + std::to_string(sw::cluster().ranks) + ".txt"))
                                 .string();
  sw::Graph g{"wordcount"};
  sw::examples::PipelineConfig config;
  config.input = text;
  config.output = output;
  auto print = sw::examples::build_wordcount(g, config);
  sw::RunOptions options;
  options.mode = sw::Mode::distributed;
  options.threads = 2;
  const sw::RunReport report = sw::run(g, options);
  if (sw::cluster().rank != 0) return;
  CHECK(report.node("lines").parallelism == 2 * sw::cluster().ranks);  // threads per rank
  std::map<std::string, std::uint64_t> counts;
  std::istringstream lines(sw::test::TempDir::read(output));
  std::uint64_t n = 0;
  std::string word;
  while (lines >> n >> word) counts[word] = n;
  std::remove(output.c_str());
  CHECK(counts == unix_count(text));
}
