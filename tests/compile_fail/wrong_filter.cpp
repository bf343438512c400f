// Must not compile: a filter predicate that returns nothing.
#include <streamweave/streamweave.hpp>

int main() {
  sw::Graph g{"wrong"};
  auto numbers = g.source("numbers", sw::from({1, 2, 3}));
  numbers.filter("bad", [](int) {}).sink("out", sw::discard());
}
