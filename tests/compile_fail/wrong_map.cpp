// Must not compile: a map function that cannot take the stream's item type.
#include <streamweave/streamweave.hpp>
#include <string>

int main() {
  sw::Graph g{"wrong"};
  auto numbers = g.source("numbers", sw::from({1, 2, 3}));
  numbers.map("bad", [](const std::string& s) { return s.size(); }).sink("out", sw::discard());
}
