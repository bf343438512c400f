// Small helpers shared by the operator and runtime tests.
#pragma once

#include <algorithm>
#include <numeric>
#include <vector>

namespace sw::test {

template <class T>
std::vector<T> sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}

inline std::vector<int> iota(int n, int from = 0) {
  std::vector<int> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), from);
  return v;
}

}  // namespace sw::test
