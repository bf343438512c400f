// The baseline of the exchange benchmark: a plain MPI ping-pong between ranks 0 and 1 at the
// frame sizes StreamWeave sends (bench/distributed.sh). One-way MB/s = 2 × size × rounds / time.
// Run under `mpirun -np 2`. Prints one JSON object per size, on rank 0.
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "mpi_pingpong.hpp"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != 2) {
    if (rank == 0) std::fprintf(stderr, "mpi_pingpong: run with mpirun -np 2\n");
    MPI_Finalize();
    return 2;
  }
  const long long total = argc > 1 ? std::atoll(argv[1]) : (1LL << 30);  // bytes per size
  for (const int kib : {4, 64, 1024}) {
    const int bytes = kib << 10;
    const int rounds = static_cast<int>(std::max<long long>(64, total / bytes / 2));
    double best = 0;
    for (int repeat = 0; repeat < 3; ++repeat) {
      const double rate = sw::bench::mpi_pingpong_mb_per_second(bytes, rounds, MPI_COMM_WORLD);
      if (rate > best) best = rate;
    }
    if (rank == 0) {
      std::printf(
          "{\"bench\": \"mpi_pingpong\", \"frame_kib\": %d, \"rounds\": %d, \"mb_per_second\": "
          "%.1f}\n",
          kib, rounds, best);
    }
  }
  MPI_Finalize();
  return 0;
}
