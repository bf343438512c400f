#include "streamweave/serde/str.hpp"

#include <ostream>

namespace sw {

std::ostream& operator<<(std::ostream& out, const Str& s) {
  return out << s.view();
}

}  // namespace sw
