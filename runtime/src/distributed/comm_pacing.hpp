// Internal: how the communication thread waits when a round of its loop moved nothing.
//
// While a send or receive is under way, it only yields: MPI moves a message (a rendezvous
// above the eager size takes several steps) only inside MPI calls, so a sleep would add its
// length to every frame. For the same reason it keeps polling for `poll_window` after the last
// progress: a peer streaming frames sends the next one within microseconds, and a receiver
// asleep does not take it (nor answer its rendezvous) until it wakes. Otherwise it sleeps,
// longer and longer (never a 100 % spin), cut short by wake().
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "streamweave/engine/options.hpp"

namespace sw::runtime {

class CommPacing {
 public:
  // `spin`: the thread runs the rank's tasks itself and has its core to itself (else it
  // yields to the workers or to the other ranks it shares cores with).
  CommPacing(Clock::duration poll_window, bool spin) noexcept
      : poll_window_(poll_window), spin_(spin) {}

  // Wakes the communication thread if it sleeps. Any thread.
  void wake() noexcept;

  // After `idle` rounds without progress, `since_progress` after the last one, with a message
  // under way or not (`busy`): waits a little. It sleeps only if may_sleep() still holds under
  // the lock that wake() takes, so that work posted just before is not slept through.
  // Communication thread.
  template <class MaySleep>
  void back_off(unsigned idle, Clock::duration since_progress, bool busy, MaySleep&& may_sleep) {
    // A message that has not moved for a while waits for its peer (stopped, slow, or far), and
    // polling it without pause would spin this core at 100 % for as long as that lasts.
    constexpr auto kStalled = std::chrono::milliseconds(2);
    if (idle < 16 || since_progress < poll_window_ || (busy && since_progress < kStalled)) {
      pause_briefly();
      return;
    }
    const auto pause = std::chrono::microseconds(std::min(100u, 10u << std::min(idle - 16, 4u)));
    sleeping_.store(true, std::memory_order_seq_cst);
    {
      std::unique_lock lock(mutex_);
      if (may_sleep()) cv_.wait_for(lock, pause);
    }
    sleeping_.store(false, std::memory_order_seq_cst);
  }

 private:
  void pause_briefly() noexcept;

  Clock::duration poll_window_;
  bool spin_;
  std::atomic<bool> sleeping_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace sw::runtime
