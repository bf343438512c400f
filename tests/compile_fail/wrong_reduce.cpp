// Must not compile: a reduce whose fold does not return its accumulator type.
#include <streamweave/streamweave.hpp>
#include <string>

int main() {
  sw::Graph g{"wrong"};
  auto numbers = g.source("numbers", sw::from({1, 2, 3}));
  numbers.key_by([](int v) { return v % 2; })
      .reduce("bad", [](std::string acc, int) { return 42; })
      .sink("out", sw::discard());
}
