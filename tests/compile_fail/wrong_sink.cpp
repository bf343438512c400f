// Must not compile: collecting ints into a vector of strings.
#include <streamweave/streamweave.hpp>
#include <string>
#include <vector>

int main() {
  sw::Graph g{"wrong"};
  std::vector<std::string> out;
  g.source("numbers", sw::from({1, 2, 3})).sink("out", sw::collect(out));
}
