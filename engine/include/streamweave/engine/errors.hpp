// Exceptions the engine throws. Every message names the graph element it is about.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace sw {

// The graph is malformed: thrown while building or validating, before anything runs.
class GraphError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A node failed on an item while the graph ran. Thrown by user-function guards inside the
// data path and, wrapped with the run's context, by sw::run().
class NodeError : public std::runtime_error {
 public:
  // `rank` >= 0 (distributed mode) prefixes the message with the rank the node failed on.
  NodeError(std::string node, unsigned instance, std::uint64_t position, std::string message,
            int rank = -1);

  [[nodiscard]] const std::string& node() const noexcept { return node_; }
  [[nodiscard]] unsigned instance() const noexcept { return instance_; }
  // 0-based index of the failing item among the items this instance received.
  [[nodiscard]] std::uint64_t position() const noexcept { return position_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  // The rank the node ran on (distributed mode), else -1.
  [[nodiscard]] int rank() const noexcept { return rank_; }

 private:
  std::string node_;
  unsigned instance_;
  int rank_;
  std::uint64_t position_;
  std::string message_;
};

}  // namespace sw
