#include "streamweave/serde/json.hpp"

namespace sw::detail::json {

ThreadParser& thread_parser() {
  thread_local ThreadParser parser;
  return parser;
}

}  // namespace sw::detail::json
