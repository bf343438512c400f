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
