// SIGINT and SIGTERM for the `streamweave` tool: the first one stops the run cleanly (the
// graph is cancelled, a sample being generated is abandoned, temporary files are removed, the
// summary so far is printed); a second one kills the process at once.
#pragma once

#include <atomic>
#include <streamweave/runtime/options.hpp>
#include <string>
#include <thread>

namespace sw::examples {

class StopSignals {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread — call it before any other thread
  // starts, so that every thread inherits the mask — and waits for them on a thread of its
  // own, which cancels `token` and calls request_stop() (sample_file.hpp).
  explicit StopSignals(CancelToken token);
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  ~StopSignals();

  // The signal that stopped the run (SIGINT, SIGTERM), or 0. Any thread.
  [[nodiscard]] int received() const noexcept { return received_.load(std::memory_order_acquire); }
  // "SIGINT" or "SIGTERM" for received().
  [[nodiscard]] std::string name() const;
  // The exit status a shell reports for a process that a signal stopped: 128 + signal.
  [[nodiscard]] int exit_code() const noexcept { return 128 + received(); }

 private:
  std::atomic<int> received_{0};
  std::atomic<bool> quitting_{false};
  std::thread waiter_;
};

}  // namespace sw::examples
