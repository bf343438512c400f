// Internal: the routes of a distributed run — one per exchange edge and consumer instance,
// numbered the same on every rank, so that a frame's header or a credit names its route.
#pragma once

#include <concurrentqueue/concurrentqueue.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../build.hpp"
#include "credit_window.hpp"
#include "frame_receiver.hpp"
#include "streamweave/serde/control.hpp"

namespace sw::runtime {

// One exchange edge into one consumer instance.
struct Route {
  std::uint32_t edge = 0;
  unsigned target = 0;
  unsigned rank = 0;                        // where the consumer instance runs
  std::unique_ptr<FrameReceiver> receiver;  // on this rank
  std::unique_ptr<CreditWindow> window;     // on another rank: this rank's frames in flight to it
  std::optional<moodycamel::ProducerToken> comm_token;  // the comm thread's, into receiver
};

// Laid out by the main thread before the build; the routes' receivers and windows are set up
// by the frame exchange during the build, and used afterwards from the threads their headers
// name.
class RouteTable {
 public:
  static constexpr std::size_t kNoRoute = static_cast<std::size_t>(-1);

  // The routes of the edges marked in built.exchange, consumer instances placed as
  // built.placement says.
  RouteTable(const Graph& graph, const Built& built);

  [[nodiscard]] std::size_t size() const noexcept { return routes_.size(); }
  [[nodiscard]] Route& operator[](std::size_t id) noexcept { return routes_[id]; }
  [[nodiscard]] const Route& operator[](std::size_t id) const noexcept { return routes_[id]; }
  [[nodiscard]] auto begin() noexcept { return routes_.begin(); }
  [[nodiscard]] auto end() noexcept { return routes_.end(); }
  [[nodiscard]] auto begin() const noexcept { return routes_.begin(); }
  [[nodiscard]] auto end() const noexcept { return routes_.end(); }

  // The route of consumer instance `target` of exchange edge `edge`.
  [[nodiscard]] std::size_t route_of(std::size_t edge, unsigned target) const noexcept {
    return first_[edge] + target;
  }
  // The route a frame with this header is for, if it is an exchange into a consumer on this
  // rank (then it has a receiver); kNoRoute otherwise. Comm thread.
  [[nodiscard]] std::size_t local_route_of(const FrameHeader& header) const noexcept;
  // Whether `id` is a route into a consumer on this rank. Comm thread.
  [[nodiscard]] bool is_local(std::size_t id) const noexcept {
    return id < routes_.size() && routes_[id].receiver != nullptr;
  }

  // Pushes a frame that arrived from `peer` into its route's receiver, after reading its
  // header. Throws ExchangeError, naming `rank` (this one) and `peer`, for a bad header or a
  // frame that is no exchange into this rank. Comm thread.
  void deliver_frame(int peer, const Bytes& frame, std::size_t max_frame_bytes, unsigned rank);
  // The same for a message among the frames, which must be an end-of-stream.
  void deliver_end(int peer, const Bytes& message, unsigned rank);

 private:
  std::vector<std::size_t> first_;  // by edge: its first route, or kNoRoute
  std::vector<Route> routes_;
};

// "'from' -> 'to'": how errors name edge `e`.
[[nodiscard]] std::string edge_name(const Graph& graph, std::size_t e);

}  // namespace sw::runtime
