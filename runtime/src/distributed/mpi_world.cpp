#include "mpi_world.hpp"

#include <mpi.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace sw::runtime {

bool launched_by_mpi() noexcept {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

namespace {

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

// The hardware threads this process may run on: its affinity, which mpirun sets when it
// binds ranks to cores (its default for up to two ranks), as do taskset and cpusets.
cpu_set_t affinity() noexcept {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (sched_getaffinity(0, sizeof cpus, &cpus) != 0) {
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    for (long cpu = 0; cpu < std::max(1L, online) && cpu < CPU_SETSIZE; ++cpu) CPU_SET(cpu, &cpus);
  }
  return cpus;
}

unsigned count(const cpu_set_t& cpus) noexcept {
  return static_cast<unsigned>(std::max(1, CPU_COUNT(&cpus)));
}

// Initialises MPI on the calling thread (the communication thread), or adopts an MPI the
// program initialised itself when its thread level allows calls from this thread.
bool init_mpi(ClusterInfo& info) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  bool ours = false;
  if (initialized == 0) {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
      throw std::runtime_error("distributed mode: MPI_Init_thread failed");
    }
    ours = true;
  } else {
    int provided = 0;
    MPI_Query_thread(&provided);
    if (provided < MPI_THREAD_SERIALIZED) {
      throw std::runtime_error(
          "distributed mode: the program initialised MPI with a thread level below "
          "MPI_THREAD_SERIALIZED; StreamWeave makes its MPI calls from its own communication "
          "thread — let StreamWeave initialise MPI, or ask for MPI_THREAD_SERIALIZED");
    }
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Comm host;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &host);
  int on_host = 1;
  MPI_Comm_size(host, &on_host);
  // Ranks bound to their own cores do not compete; ranks whose masks overlap (unbound, or
  // more ranks than cores) do.
  const cpu_set_t mine = affinity();
  cpu_set_t all = mine;
  MPI_Allreduce(&mine, &all, static_cast<int>(sizeof(cpu_set_t)), MPI_BYTE, MPI_BOR, host);
  // Split with the world rank as key: the host communicator's rank 0 is its lowest world rank.
  auto lowest = static_cast<unsigned>(rank);
  MPI_Bcast(&lowest, 1, MPI_UNSIGNED, 0, host);
  MPI_Comm_free(&host);
  info.host_of_rank.assign(static_cast<std::size_t>(size), 0);
  MPI_Allgather(&lowest, 1, MPI_UNSIGNED, info.host_of_rank.data(), 1, MPI_UNSIGNED,
                MPI_COMM_WORLD);
  info.cpus = count(mine);
  info.cpus_on_host = count(all);
  info.rank = static_cast<unsigned>(rank);
  info.ranks = static_cast<unsigned>(size);
  info.ranks_on_host = static_cast<unsigned>(on_host);
  info.mpi = true;
  return ours;
}

}  // namespace

MpiWorld& MpiWorld::get() {
  static MpiWorld world;
  return world;
}

MpiWorld::MpiWorld() {
  info_.host = host_name();
  if (!launched_by_mpi()) {
    info_.cpus = info_.cpus_on_host = count(affinity());  // with MPI: init_mpi
    return;
  }
  std::promise<void> ready;
  std::future<void> started = ready.get_future();
  thread_ = std::thread([this, &ready] { loop(ready); });
  try {
    started.get();  // rethrows an initialisation failure
  } catch (...) {
    thread_.join();  // the loop has returned
    throw;
  }
}

MpiWorld::~MpiWorld() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_one();
  thread_.join();
}

std::future<void> MpiWorld::submit(std::function<void()> job) {
  std::packaged_task<void()> task(std::move(job));
  std::future<void> done = task.get_future();
  if (!thread_.joinable()) {
    task();  // no MPI: nothing to funnel
    return done;
  }
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(task));
  }
  changed_.notify_one();
  return done;
}

void MpiWorld::loop(std::promise<void>& ready) {
  // The thread's short back-off sleeps (10-100 µs) should end when asked, not up to the
  // default 50 µs timer slack later.
  (void)prctl(PR_SET_TIMERSLACK, 5000UL, 0UL, 0UL, 0UL);
  try {
    finalize_.store(init_mpi(info_), std::memory_order_release);
    ready.set_value();
  } catch (...) {
    ready.set_exception(std::current_exception());
    return;
  }
  for (;;) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) break;
    std::packaged_task<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
  }
  if (finalize_.load(std::memory_order_acquire)) MPI_Finalize();
}

}  // namespace sw::runtime
