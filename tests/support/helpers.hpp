// Small helpers shared by the operator and runtime tests.
#pragma once

#include <algorithm>
#include <fstream>
#include <numeric>
#include <string>
#include <thread>
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

// Writes `chunks` to the FIFO at `path` from a thread, flushing each (a pipe's pace), then
// closes it: the reader's stream ends there.
inline std::thread feed(const std::string& path, std::vector<std::string> chunks) {
  return std::thread([path, chunks = std::move(chunks)] {
    std::ofstream out(path, std::ios::binary);
    for (const std::string& c : chunks) {
      out << c;
      out.flush();
    }
  });
}

}  // namespace sw::test
