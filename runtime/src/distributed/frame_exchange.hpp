// Internal: the distributed exchange. Each exchange edge's consumer instance on this rank gets
// a FrameReceiver; each producer instance a FrameSender, which hands frames for this rank's
// consumers to their receivers and frames for other ranks to the session (FramePost), bounded
// by a CreditWindow per route.
#pragma once

#include <memory>
#include <vector>

#include "../exchange.hpp"
#include "../run_context.hpp"
#include "frame_sender.hpp"
#include "route_table.hpp"
#include "streamweave/runtime/distributed.hpp"
#include "streamweave/runtime/distributed_report.hpp"

namespace sw::runtime {

class FrameExchange final : public Exchange {
 public:
  // `credits` takes the credits of frames from other ranks back, `post` the frames for them;
  // with `comm_thread` (MPI runs), the routes get the communication thread's tokens.
  FrameExchange(RouteTable& routes, const RunOptions& options, RunContext& run,
                const ClusterInfo& cluster, CreditReturn& credits, FramePost& post,
                bool comm_thread) noexcept;

  void add_receivers(const Graph& graph, Built& built) override;
  [[nodiscard]] std::unique_ptr<BatchSender> make_sender(const Graph& graph, const Built& built,
                                                         std::size_t edge, Task& producer,
                                                         unsigned instance) override;

  // What crossed each exchange edge on this rank (by edge, only exchange edges). After the run.
  void add_edge_reports(const Graph& graph, const Built& built, RankReport& report) const;

 private:
  [[nodiscard]] bool checksum_payload(unsigned to_rank) const noexcept;

  RouteTable* routes_;
  const RunOptions* options_;
  RunContext* run_;
  const ClusterInfo* cluster_;
  CreditReturn* credits_;
  FramePost* post_;
  bool comm_thread_;
  std::vector<const FrameSender*> senders_;  // owned by the producer tasks
};

}  // namespace sw::runtime
