// Internal: the process's MPI. One communication thread initialises MPI
// (MPI_THREAD_FUNNELED), makes every MPI call of every run, and finalises MPI at exit; other
// threads hand it jobs. Without mpirun/srun there is no MPI and no thread: one rank.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "streamweave/runtime/distributed.hpp"

namespace sw::runtime {

class MpiWorld {
 public:
  // The process's world; the first call starts it. Any thread.
  static MpiWorld& get();

  [[nodiscard]] const ClusterInfo& info() const noexcept { return info_; }

  // Runs `job` on the communication thread; the future holds its outcome. Any thread. Jobs
  // run one at a time, in order.
  std::future<void> submit(std::function<void()> job);

  // A peer was lost: MPI is not finalised at exit (MPI_Finalize would wait for it). Any
  // thread.
  void abandon() noexcept { finalize_.store(false, std::memory_order_release); }

  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;
  ~MpiWorld();

 private:
  MpiWorld();
  void loop(std::promise<void>& ready);

  ClusterInfo info_;
  std::atomic<bool> finalize_{false};  // we initialised MPI, so we finalise it
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::packaged_task<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

// True when the environment says an MPI launcher (mpirun, srun) started this process.
[[nodiscard]] bool launched_by_mpi() noexcept;

}  // namespace sw::runtime
