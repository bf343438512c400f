// Must not compile: a type the binary codec cannot encode (a raw pointer member) is
// rejected at the call, naming the concept.
#include <streamweave/serde/binary.hpp>

struct HasPointer {
  int* p;
};

int main() {
  HasPointer value{nullptr};
  (void)sw::encode(value);
}
