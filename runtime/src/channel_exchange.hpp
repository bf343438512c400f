// Internal: the in-process exchange. Every task that is not a source gets a channel; a
// producer's sender pushes batches, watermarks and end-of-stream into its consumers' channels
// as they are (nothing copied, nothing encoded).
#pragma once

#include "exchange.hpp"

namespace sw::runtime {

class ChannelExchange final : public Exchange {
 public:
  void add_receivers(const Graph& graph, Built& built) override;
  [[nodiscard]] std::unique_ptr<BatchSender> make_sender(const Graph& graph, const Built& built,
                                                         std::size_t edge, Task& producer,
                                                         unsigned instance) override;
};

}  // namespace sw::runtime
