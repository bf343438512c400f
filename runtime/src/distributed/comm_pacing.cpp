#include "comm_pacing.hpp"

namespace sw::runtime {

void CommPacing::wake() noexcept {
  if (sleeping_.load(std::memory_order_seq_cst)) {
    std::lock_guard lock(mutex_);
    cv_.notify_one();
  }
}

void CommPacing::pause_briefly() noexcept {
  if (!spin_) {
    std::this_thread::yield();
    return;
  }
  // A fraction of a microsecond (32 `pause`s) without a system call. On a core shared with a
  // sibling hyperthread, `pause` lends the sibling the pipeline, so a rank that polls does not
  // slow the rank it waits for; sched_yield would run the scheduler on that core.
  for (int i = 0; i < 32; ++i) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
}

}  // namespace sw::runtime
