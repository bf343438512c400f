// Internal: the receiving side of the credit protocol. Each time a consumer's task takes a
// frame that came from another rank, its credit is owed to that rank; the communication
// thread sends what is owed as one credit message per peer, and opens the CreditWindows of
// the credit messages that arrive.
#pragma once

#include <concurrentqueue/concurrentqueue.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "mpi_transport.hpp"
#include "route_table.hpp"

namespace sw::runtime {

class CreditLedger {
 public:
  CreditLedger(unsigned ranks, std::size_t routes);

  // A frame from `rank` on `route` was taken. Any thread.
  void owe(int rank, std::uint32_t route) noexcept;
  // Whether credits wait to be sent. Any thread (approximate).
  [[nodiscard]] bool waiting() const noexcept { return owed_queue_.size_approx() != 0; }
  // Sends what is owed, one credit message per peer owed any. True if it sent. Comm thread.
  bool send(MpiTransport& transport);

 private:
  moodycamel::ConcurrentQueue<std::pair<std::int32_t, std::uint32_t>> owed_queue_;
  // Comm thread only.
  std::vector<std::vector<std::uint32_t>> owed_;  // [peer][route]
  std::vector<bool> due_;                         // [peer]
};

// Credits from `peer`: opens the windows of the routes they name. Throws ExchangeError
// (naming `rank` and `peer`) for a route this rank does not send on. Comm thread.
void take_credits(RouteTable& routes, unsigned rank, int peer, const CreditMessage& credits);

}  // namespace sw::runtime
