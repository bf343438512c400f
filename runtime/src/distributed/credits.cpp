#include "credits.hpp"

#include <fmt/format.h>

#include "streamweave/runtime/distributed_errors.hpp"

namespace sw::runtime {

CreditLedger::CreditLedger(unsigned ranks, std::size_t routes)
    : owed_(ranks, std::vector<std::uint32_t>(routes, 0)), due_(ranks, false) {}

void CreditLedger::owe(int rank, std::uint32_t route) noexcept {
  // Without a token: workers return credits rarely compared with the frames they decode.
  owed_queue_.enqueue({rank, route});
}

bool CreditLedger::send(MpiTransport& transport) {
  bool any = false;
  std::pair<std::int32_t, std::uint32_t> credit;
  while (owed_queue_.try_dequeue(credit)) {
    any = true;
    ++owed_[static_cast<std::size_t>(credit.first)][credit.second];
    due_[static_cast<std::size_t>(credit.first)] = true;
  }
  if (!any) return false;
  for (std::size_t peer = 0; peer < owed_.size(); ++peer) {
    if (!due_[peer]) continue;
    due_[peer] = false;
    CreditMessage credits;
    std::vector<std::uint32_t>& owed = owed_[peer];
    for (std::size_t route = 0; route < owed.size(); ++route) {
      if (owed[route] == 0) continue;
      credits.grants.push_back(
          CreditGrant{static_cast<std::uint32_t>(route), std::exchange(owed[route], 0)});
    }
    transport.send_control(static_cast<int>(peer), credits);
  }
  return true;
}

void take_credits(RouteTable& routes, unsigned rank, int peer, const CreditMessage& credits) {
  for (const CreditGrant& grant : credits.grants) {
    if (grant.route >= routes.size() || !routes[grant.route].window) {
      throw ExchangeError(
          rank, peer, "(control)",
          fmt::format("credit for route {}, which this rank does not send on", grant.route));
    }
    routes[grant.route].window->returned(grant.frames);
  }
}

}  // namespace sw::runtime
