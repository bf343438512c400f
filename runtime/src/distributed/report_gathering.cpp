#include "report_gathering.hpp"

#include <fmt/format.h>

#include <thread>

#include "streamweave/engine/errors.hpp"
#include "streamweave/serde/binary.hpp"
#include "streamweave/serde/hash.hpp"

namespace sw::runtime {

void check_same_graph(const Graph& graph, const std::vector<std::uint64_t>& fingerprints) {
  for (std::size_t r = 0; r < fingerprints.size(); ++r) {
    if (fingerprints[r] != fingerprints[0]) {
      throw GraphError(fmt::format(
          "graph '{}': rank {} built a different graph than rank 0 (fingerprint {:016x} vs "
          "{:016x}); every rank must build the same graph with the same settings",
          graph.name(), r, fingerprints[r], fingerprints[0]));
    }
  }
}

void wait_with_heartbeats(MPI_Request& request, Heartbeats& heartbeats) {
  for (;;) {
    int done = 0;
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done != 0) return;
    heartbeats.pump(Clock::now());
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

void ReportGathering::set_mine(const RankReport& mine) {
  mine_ = sw::encode(mine);
}

void ReportGathering::gather(MPI_Comm comm, unsigned ranks, Heartbeats& heartbeats) {
  const int size = static_cast<int>(mine_.size());
  sizes_.assign(ranks, 0);
  offsets_.assign(ranks, 0);
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Iallgather(&size, 1, MPI_INT, sizes_.data(), 1, MPI_INT, comm, &request);
  wait_with_heartbeats(request, heartbeats);
  int total = 0;
  for (unsigned r = 0; r < ranks; ++r) {
    offsets_[r] = total;
    total += sizes_[r];
  }
  gathered_.resize(static_cast<std::size_t>(total));
  MPI_Iallgatherv(mine_.data(), size, MPI_BYTE, gathered_.data(), sizes_.data(), offsets_.data(),
                  MPI_BYTE, comm, &request);
  wait_with_heartbeats(request, heartbeats);
}

std::vector<RankReport> ReportGathering::all() const {
  std::vector<RankReport> all;
  for (std::size_t r = 0; r < sizes_.size(); ++r) {
    const auto* from = gathered_.data() + offsets_[r];
    all.push_back(sw::decode<RankReport>(
        Bytes::copy_of(std::span<const std::byte>(from, static_cast<std::size_t>(sizes_[r])))));
  }
  return all;
}

}  // namespace sw::runtime
