// Internal: the sending side of the credit protocol. A producer on this rank may have as many
// frames in flight on a route to another rank as the consumer granted credits; the consumer
// gives one back each time its task takes a frame (FrameReceiver), and the session's credit
// messages carry them home (credits.cpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "../task.hpp"

namespace sw::runtime {

// The frames this rank has in flight on one route to another rank. Producers count up; the
// communication thread counts down as credits come back and wakes the producers parked on it.
class CreditWindow final : public OutputGate {
 public:
  explicit CreditWindow(std::int64_t credits) noexcept : credits_(credits) {}

  [[nodiscard]] bool has_room() const noexcept override {
    return in_flight_.load(std::memory_order_seq_cst) < credits_;  // as ChannelShares::has_room
  }
  void stalled() noexcept override { stalls_.fetch_add(1, std::memory_order_relaxed); }

  // A local task that sends on this route. Build time.
  void add_producer(Task& producer) { producers_.push_back(&producer); }
  // A frame or end-of-stream left for the route. The producer's task.
  void sent() noexcept;
  // `n` credits came back: wakes the producers if the window had been full. Comm thread.
  void returned(std::int64_t n) noexcept;

  // For the edge report, after the run.
  [[nodiscard]] std::uint64_t stalls() const noexcept { return stalls_.load(); }
  [[nodiscard]] std::int64_t peak() const noexcept { return peak_.load(); }

 private:
  std::atomic<std::int64_t> in_flight_{0};
  const std::int64_t credits_;
  std::vector<Task*> producers_;
  std::atomic<std::uint64_t> stalls_{0};
  std::atomic<std::int64_t> peak_{0};
};

// Gives a credit back to the rank that sent a frame, once the consumer's task took the frame.
// Implemented by the session, which batches them into credit messages. Worker threads.
class CreditReturn {
 public:
  virtual ~CreditReturn() = default;
  virtual void return_credit(int rank, std::uint32_t route) noexcept = 0;
};

}  // namespace sw::runtime
