// The raw MPI baseline of the exchange benchmark: a blocking MPI_Send/MPI_Recv ping-pong
// between ranks 0 and 1 of `comm` (other ranks only wait at the barrier). Used by
// bench/mpi_pingpong.cpp and by distributed_rate's paired suite. Call from the thread that
// may make MPI calls; every rank of `comm` must call it.
#pragma once

#include <mpi.h>

#include <chrono>
#include <vector>

namespace sw::bench {

// One timed pass of `rounds` round trips of `bytes`: one-way MB/s = 2 × bytes × rounds / time.
inline double mpi_pingpong_mb_per_second(int bytes, int rounds, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::vector<char> buffer(static_cast<std::size_t>(bytes), 'x');
  MPI_Barrier(comm);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < rounds && rank < 2; ++i) {
    if (rank == 0) {
      MPI_Send(buffer.data(), bytes, MPI_BYTE, 1, 0, comm);
      MPI_Recv(buffer.data(), bytes, MPI_BYTE, 1, 0, comm, MPI_STATUS_IGNORE);
    } else {
      MPI_Recv(buffer.data(), bytes, MPI_BYTE, 0, 0, comm, MPI_STATUS_IGNORE);
      MPI_Send(buffer.data(), bytes, MPI_BYTE, 0, 0, comm);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return 2.0 * bytes * rounds / seconds / 1e6;
}

}  // namespace sw::bench
