// The baseline of the exchange benchmark: a plain MPI ping-pong between ranks 0 and 1 at the
// frame sizes StreamWeave sends (bench/distributed.sh). One-way MB/s = 2 × size × rounds / time.
// Run under `mpirun -np 2`. Prints one JSON object per size, on rank 0.
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

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
    std::vector<char> buffer(static_cast<std::size_t>(bytes), 'x');
    const int rounds = static_cast<int>(std::max<long long>(64, total / bytes / 2));
    double best = 0;
    for (int repeat = 0; repeat < 3; ++repeat) {
      MPI_Barrier(MPI_COMM_WORLD);
      const auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < rounds; ++i) {
        if (rank == 0) {
          MPI_Send(buffer.data(), bytes, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
          MPI_Recv(buffer.data(), bytes, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
          MPI_Recv(buffer.data(), bytes, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          MPI_Send(buffer.data(), bytes, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
        }
      }
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double rate = 2.0 * bytes * rounds / seconds / 1e6;
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
