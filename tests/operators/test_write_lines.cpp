#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/temp_dir.hpp"

TEST_CASE("write_lines: strings, Str, Symbols and numbers, a line each, in order") {
  sw::test::TempDir dir;
  sw::Graph g{"write"};
  g.source("s", sw::from(std::vector<std::string>{"a", "b c"}), {.parallelism = 1})
      .sink("s-out", sw::write_lines(dir.file("s.txt")));
  g.source("t", sw::from(std::vector<sw::Str>{sw::Str("x"), sw::Str("")}), {.parallelism = 1})
      .sink("t-out", sw::write_lines(dir.file("t.txt")));
  g.source("y", sw::from(std::vector<sw::Symbol>{sw::Symbol("sym")}), {.parallelism = 1})
      .sink("y-out", sw::write_lines(dir.file("y.txt")));
  g.source("n", sw::from(std::vector<double>{1.5, -2, 1e20}), {.parallelism = 1})
      .sink("n-out", sw::write_lines(dir.file("n.txt")));
  sw::run(g, {.threads = 2});
  CHECK(sw::test::TempDir::read(dir.file("s.txt")) == "a\nb c\n");
  CHECK(sw::test::TempDir::read(dir.file("t.txt")) == "x\n\n");
  CHECK(sw::test::TempDir::read(dir.file("y.txt")) == "sym\n");
  CHECK(sw::test::TempDir::read(dir.file("n.txt")) == "1.5\n-2\n1e+20\n");
  CHECK(dir.count() == 4);  // no temporary files left
}

TEST_CASE("write_lines: parallel producers are gathered into one file, read back equal") {
  sw::test::TempDir dir;
  const auto numbers = sw::test::iota(100000);
  {
    sw::Graph g{"gather"};
    g.source("numbers", sw::from(numbers), {.parallelism = 3})
        .map("text", [](int i) { return std::to_string(i); })
        .sink("out", sw::write_lines(dir.file("out.txt")));
    sw::run(g, {.threads = 2});
  }
  sw::Graph g{"read back"};
  std::vector<int> back;
  g.source("lines", sw::read_lines(dir.file("out.txt")), {.parallelism = 2})
      .map("parse", [](const sw::Str& s) { return std::stoi(s.str()); })
      .sink("out", sw::collect(back), {.parallelism = 1});
  sw::run(g, {.threads = 2});
  CHECK(sw::test::sorted(back) == numbers);
}

TEST_CASE("write_lines: a failed run leaves no file, and the old one untouched") {
  sw::test::TempDir dir;
  const std::string path = dir.write("out.txt", "the previous result\n");
  sw::Graph g{"fails"};
  g.source("numbers", sw::from(sw::test::iota(10000)), {.parallelism = 1})
      .map("boom",
           [](int i) {
             if (i == 5000) throw std::runtime_error("boom");
             return i;
           })
      .sink("out", sw::write_lines(path));
  CHECK_THROWS_AS(sw::run(g, {.threads = 2}), sw::NodeError);
  CHECK(sw::test::TempDir::read(path) == "the previous result\n");
  CHECK(dir.count() == 1);
}

TEST_CASE("write_lines: errors name the node: parallelism other than 1, an unwritable path") {
  sw::test::TempDir dir;
  {
    sw::Graph g{"parallel"};
    g.source("n", sw::from({1, 2, 3}))
        .sink("out", sw::write_lines(dir.file("x")), {.parallelism = 2});
    CHECK_THROWS_WITH(sw::run(g, {.threads = 2}),
                      Catch::Contains("node 'out'") && Catch::Contains("parallelism must be 1"));
  }
  sw::Graph g{"unwritable"};
  g.source("n", sw::from({1, 2, 3})).sink("out", sw::write_lines("/nonexistent/dir/out.txt"));
  try {
    sw::run(g, {.threads = 2});
    FAIL("the run should fail");
  } catch (const sw::NodeError& e) {
    CHECK(e.node() == "out");
    CHECK_THAT(e.what(), Catch::Contains("/nonexistent/dir/out.txt"));
  }
}
