#include <catch2/catch.hpp>
#include <sstream>
#include <streamweave/streamweave.hpp>
#include <string>

#include "support/helpers.hpp"

TEST_CASE("flat_map returning a container emits every element") {
  sw::Graph g{"flat"};
  std::vector<std::string> out;
  g.source("lines", sw::from({std::string("a b"), std::string(""), std::string("c d e")}))
      .flat_map("words",
                [](const std::string& line) {
                  std::vector<std::string> words;
                  std::istringstream in(line);
                  for (std::string w; in >> w;) words.push_back(w);
                  return words;
                })
      .sink("out", sw::collect(out));
  const sw::RunReport r = sw::run(g, {.threads = 1});
  CHECK(out == std::vector<std::string>{"a", "b", "c", "d", "e"});
  CHECK(r.node("words").items_in == 3);
  CHECK(r.node("words").items_out == 5);
}

TEST_CASE("flat_map with an emitter emits without a container") {
  sw::Graph g{"flat-emit"};
  std::vector<int> out;
  g.source("n", sw::from({1, 2, 3}))
      .flat_map<int>("repeat",
                     [](const int& v, sw::Emitter<int>& emit) {
                       for (int i = 0; i < v; ++i) emit(v);
                     })
      .sink("out", sw::collect(out));
  const sw::RunReport r = sw::run(g, {.threads = 2});
  CHECK(sw::test::sorted(out) == std::vector<int>{1, 2, 2, 3, 3, 3});
  CHECK(r.node("repeat").items_out == 6);
}

TEST_CASE("flat_map returning an optional emits its value, when there is one") {
  // Compiled into the source's chain (the strings are moved out), and after a fan-out, where
  // two flat_maps read the same batches (copied out).
  for (const bool fan_out : {false, true}) {
    INFO("fan-out " << fan_out);
    sw::Graph g{"optional"};
    std::vector<std::string> out;
    std::vector<std::string> other;
    const auto even_length = [](std::string&& s) -> std::optional<std::string> {
      if (s.size() % 2 != 0) return std::nullopt;
      return std::move(s);
    };
    auto words = g.source("words", sw::from<std::string>({"ab", "abc", "", "a string of 20 chars",
                                                          "a longer string than sso holds."}));
    words.flat_map("even", even_length).sink("out", sw::collect(out));
    if (fan_out) words.flat_map("even-too", even_length).sink("other", sw::collect(other));
    const sw::RunReport r = sw::run(g, {.threads = 2});
    const std::vector<std::string> expected{"", "a string of 20 chars", "ab"};
    CHECK(sw::test::sorted(out) == expected);
    if (fan_out) CHECK(sw::test::sorted(other) == expected);
    CHECK(r.node("even").items_in == 5);
    CHECK(r.node("even").items_out == 3);
  }
}

TEST_CASE("flat_map copies the elements of a view it returns, and leaves them where they are") {
  // A span of non-const strings: the function does not own them, so they must not be moved.
  std::vector<std::string> table{"the first string, longer than sso", "the second string, as long"};
  sw::Graph g{"view"};
  std::vector<std::string> out;
  g.source("indices", sw::from({0, 1, 0, 1}))
      .flat_map("look-up", [&table](int i) { return std::span<std::string>(table).subspan(i, 1); })
      .sink("out", sw::collect(out));
  sw::run(g, {.threads = 1});
  CHECK(out == std::vector<std::string>{table[0], table[1], table[0], table[1]});
  CHECK(table[0] == "the first string, longer than sso");
}
