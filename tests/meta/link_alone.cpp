// Linked with one layer's whole library and only what that library declares it depends on:
// the link fails if the layer needs a symbol from a layer above it (tests/CMakeLists.txt).
int main() {
  return 0;
}
