// Must not compile: a key that cannot be hashed.
#include <streamweave/streamweave.hpp>

struct NotHashable {
  int x;
  friend bool operator==(const NotHashable&, const NotHashable&) = default;
};

int main() {
  sw::Graph g{"wrong"};
  auto numbers = g.source("numbers", sw::from({1, 2, 3}));
  numbers.key_by([](int v) { return NotHashable{v}; });
}
