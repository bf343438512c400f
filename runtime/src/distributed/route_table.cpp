#include "route_table.hpp"

#include <fmt/format.h>

#include "streamweave/runtime/distributed_errors.hpp"

namespace sw::runtime {

RouteTable::RouteTable(const Graph& graph, const Built& built) {
  const auto& edges = graph.edges();
  first_.assign(edges.size(), kNoRoute);
  for (std::size_t e = 0; e < edges.size(); ++e) {
    if (!built.exchange[e]) continue;
    first_[e] = routes_.size();
    const unsigned consumers = built.plan.nodes[edges[e].to].parallelism;
    for (unsigned t = 0; t < consumers; ++t) {
      Route& route = routes_.emplace_back();
      route.edge = static_cast<std::uint32_t>(e);
      route.target = t;
      route.rank = built.placement.rank_of(t);
    }
  }
}

std::size_t RouteTable::local_route_of(const FrameHeader& header) const noexcept {
  if (header.edge >= first_.size() || first_[header.edge] == kNoRoute) return kNoRoute;
  const std::size_t id = first_[header.edge] + header.target_instance;
  if (id >= routes_.size() || routes_[id].edge != header.edge || !is_local(id)) return kNoRoute;
  return id;
}

void RouteTable::deliver_frame(int peer, const Bytes& frame, std::size_t max_frame_bytes,
                               unsigned rank) {
  IncomingFrame in;
  in.from_rank = peer;
  try {
    in.header = read_frame_header(frame, FrameLimits{.max_frame_bytes = max_frame_bytes});
  } catch (const FrameError& e) {
    throw ExchangeError(rank, peer, "?", e.what());
  }
  const std::size_t id = local_route_of(*in.header);
  if (id == kNoRoute) {
    throw ExchangeError(rank, peer, fmt::format("#{}", in.header->edge),
                        fmt::format("frame for instance {} of edge #{}, which is no exchange "
                                    "into rank {}",
                                    in.header->target_instance, in.header->edge, rank));
  }
  in.frame = frame;
  Route& route = routes_[id];
  route.receiver->frames().push(*route.comm_token, kUncountedProducer, std::move(in));
}

void RouteTable::deliver_end(int peer, const Bytes& message, unsigned rank) {
  ControlMessage control;
  try {
    control = parse_control(message);
  } catch (const FrameError& e) {
    throw ExchangeError(rank, peer, "?", e.what());
  }
  const auto* end = std::get_if<EndOfStreamMessage>(&control);
  if (end == nullptr) {
    throw ExchangeError(rank, peer, "?",
                        "a control message other than end-of-stream among the frames");
  }
  if (!is_local(end->route)) {
    throw ExchangeError(rank, peer, "?",
                        fmt::format("end-of-stream for route {}, which is no exchange into rank {}",
                                    end->route, rank));
  }
  IncomingFrame in;
  in.from_rank = peer;
  in.source = end->source;
  Route& route = routes_[end->route];
  route.receiver->frames().push(*route.comm_token, kUncountedProducer, std::move(in));
}

std::string edge_name(const Graph& graph, std::size_t e) {
  const EdgeSpec& edge = graph.edges().at(e);
  return "'" + graph.node(edge.from).name() + "' -> '" + graph.node(edge.to).name() + "'";
}

}  // namespace sw::runtime
