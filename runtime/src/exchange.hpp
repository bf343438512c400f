// Internal: the transport seam. An exchange carries some of a graph's edges: it gives every
// local producer instance of such an edge a sender and every local consumer instance a
// receiver. In process all edges go through the channel exchange (channel_exchange.hpp); in
// distributed mode the edges the plan marks as exchanges go through the frame exchange
// (distributed/frame_exchange.hpp), the others still through channels.
#pragma once

#include <cstddef>
#include <memory>

#include "streamweave/engine/graph.hpp"
#include "streamweave/engine/output.hpp"

namespace sw::runtime {

struct Built;
class Task;

// Build time, on the thread that builds the run.
class Exchange {
 public:
  virtual ~Exchange() = default;
  // Once the local tasks exist and have their input slots: the receiving ends of the edges
  // this exchange carries, added to their tasks (Task::add_receiver).
  virtual void add_receivers(const Graph& graph, Built& built) = 0;
  // The sender of edge `edge` for local producer instance `instance`, which runs in
  // `producer`. After add_receivers.
  [[nodiscard]] virtual std::unique_ptr<BatchSender> make_sender(const Graph& graph,
                                                                 const Built& built,
                                                                 std::size_t edge, Task& producer,
                                                                 unsigned instance) = 0;
};

}  // namespace sw::runtime
