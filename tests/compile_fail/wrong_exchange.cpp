// Must not compile: key_by exchanges its items (between ranks in distributed mode), so their
// type needs a binary codec; a raw pointer member has none. The error names the concept.
#include <streamweave/streamweave.hpp>

struct HasPointer {
  int* p;
};

int main() {
  sw::Graph g{"g"};
  g.source("s", sw::generate<HasPointer>(10, [](std::uint64_t) { return HasPointer{nullptr}; }))
      .key_by([](const HasPointer& h) { return h.p != nullptr; });
}
