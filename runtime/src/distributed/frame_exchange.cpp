#include "frame_exchange.hpp"

#include <algorithm>

namespace sw::runtime {

FrameExchange::FrameExchange(RouteTable& routes, const RunOptions& options, RunContext& run,
                             const ClusterInfo& cluster, CreditReturn& credits, FramePost& post,
                             bool comm_thread) noexcept
    : routes_(&routes),
      options_(&options),
      run_(&run),
      cluster_(&cluster),
      credits_(&credits),
      post_(&post),
      comm_thread_(comm_thread) {}

void FrameExchange::add_receivers(const Graph& graph, Built& built) {
  const Plan& plan = built.plan;
  const FrameLimits limits{options_->distributed.max_frame_bytes,
                           options_->distributed.frame_bytes};
  for (std::size_t id = 0; id < routes_->size(); ++id) {
    Route& route = (*routes_)[id];
    const EdgeSpec& edge = graph.edges()[route.edge];
    const std::size_t capacity = plan.nodes[edge.to].channel_capacity;
    if (route.rank != built.placement.rank) {
      const std::size_t credits =
          options_->distributed.credits != 0 ? options_->distributed.credits : capacity;
      route.window = std::make_unique<CreditWindow>(static_cast<std::int64_t>(credits));
      continue;
    }
    Task& consumer = *built.tasks_of[plan.nodes[edge.to].chain][route.target];
    const PortSpec& port = graph.node(edge.from).port(edge.port);
    BatchPoolBase& pool = run_->adopt(port.make_pool(run_->buffer_pool()));  // consumer-owned
    Inbox inbox(*port.codec(), pool, route.edge, route.target, plan.nodes[edge.from].parallelism,
                built.slot_base[route.edge], edge_name(graph, route.edge), built.placement.rank,
                limits);
    route.receiver = std::make_unique<FrameReceiver>(
        std::move(inbox), static_cast<std::uint32_t>(id), *credits_, capacity, consumer);
    consumer.add_receiver(*route.receiver);
    if (comm_thread_) route.comm_token.emplace(route.receiver->frames().queue());
  }
}

bool FrameExchange::checksum_payload(unsigned to_rank) const noexcept {
  switch (options_->distributed.payload_checksum) {
    case PayloadChecksum::always:
      return true;
    case PayloadChecksum::between_hosts:
      return !cluster_->on_this_host(to_rank);
    case PayloadChecksum::never:
      return false;
  }
  return true;
}

std::unique_ptr<BatchSender> FrameExchange::make_sender(const Graph& graph, const Built& built,
                                                        std::size_t edge, Task& producer,
                                                        unsigned instance) {
  const EdgeSpec& spec = graph.edges()[edge];
  const unsigned consumers = built.plan.nodes[spec.to].parallelism;
  std::vector<SenderTarget> targets(consumers);
  for (unsigned t = 0; t < consumers; ++t) {
    const std::size_t id = routes_->route_of(edge, t);
    Route& route = (*routes_)[id];
    SenderTarget& target = targets[t];
    target.rank = static_cast<std::int32_t>(route.rank);
    target.route = static_cast<std::uint32_t>(id);
    target.checksum_payload = checksum_payload(route.rank);
    if (route.receiver != nullptr) {
      target.receiver = route.receiver.get();
      target.local_producer = producer.output_to(route.receiver->frames()).producer;
    } else {
      target.window = route.window.get();
      producer.gates.push_back(route.window.get());
      route.window->add_producer(producer);
    }
  }
  const PortSpec& port = graph.node(spec.from).port(spec.port);
  auto sender = std::make_unique<FrameSender>(*port.codec(), static_cast<std::uint32_t>(edge),
                                              instance, std::move(targets), *post_,
                                              run_->buffer_pool(), options_->distributed);
  senders_.push_back(sender.get());
  return sender;
}

void FrameExchange::add_edge_reports(const Graph& graph, const Built& built,
                                     RankReport& report) const {
  for (std::size_t e = 0; e < graph.edges().size(); ++e) {
    if (!built.exchange[e]) continue;
    EdgeReport r;
    r.from = graph.node(graph.edges()[e].from).name();
    r.to = graph.node(graph.edges()[e].to).name();
    r.partitioning = std::string(to_string(built.plan.edges[e].partitioning));
    std::int64_t encode_ns = 0;
    std::int64_t decode_ns = 0;
    for (const FrameSender* sender : senders_) {
      if (sender->edge() != e) continue;
      r.frames_sent += sender->frames;
      r.bytes_sent += sender->bytes;
      r.remote_frames_sent += sender->remote_frames;
      encode_ns += sender->encode_ns;
    }
    for (const Route& route : *routes_) {
      if (route.edge != e) continue;
      if (route.receiver) {
        const Inbox& inbox = route.receiver->inbox();
        r.frames_received += inbox.frames;
        r.bytes_received += inbox.bytes;
        decode_ns += inbox.decode_ns;
      }
      if (route.window) {
        r.credit_stalls += route.window->stalls();
        r.peak_frames_in_flight = std::max<std::uint64_t>(
            r.peak_frames_in_flight, static_cast<std::uint64_t>(route.window->peak()));
      }
    }
    r.encode_seconds = static_cast<double>(encode_ns) * 1e-9;
    r.decode_seconds = static_cast<double>(decode_ns) * 1e-9;
    report.edges.push_back(std::move(r));
  }
}

}  // namespace sw::runtime
