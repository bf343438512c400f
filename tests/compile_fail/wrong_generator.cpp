// Must not compile: a generator that does not take an index.
#include <streamweave/streamweave.hpp>
#include <string>

int main() {
  sw::Graph g{"wrong"};
  g.source("bad", sw::generate<int>(10, [](const std::string&) { return 1; }))
      .sink("out", sw::discard());
}
