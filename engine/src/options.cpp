#include "streamweave/engine/options.hpp"

#include "streamweave/engine/errors.hpp"

namespace sw {

std::string ErrorPolicy::to_string() const {
  switch (kind_) {
    case Kind::stop:
      return "stop";
    case Kind::skip:
      return limit_ == kUnlimited ? "skip" : "skip(at most " + std::to_string(limit_) + ")";
    case Kind::retry:
      return "retry(" + std::to_string(limit_) + ")";
    case Kind::dead_letter:
      return "dead-letter";
  }
  return "?";
}

NodeError::NodeError(std::string node, unsigned instance, std::uint64_t position,
                     std::string message, int rank)
    : std::runtime_error((rank >= 0 ? "rank " + std::to_string(rank) + ": " : std::string()) +
                         "node '" + node + "' (instance " + std::to_string(instance) +
                         ") failed on item " + std::to_string(position) + ": " + message),
      node_(std::move(node)),
      instance_(instance),
      rank_(rank),
      position_(position),
      message_(std::move(message)) {}

}  // namespace sw
