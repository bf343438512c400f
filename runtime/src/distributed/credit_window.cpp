#include "credit_window.hpp"

namespace sw::runtime {

void CreditWindow::sent() noexcept {
  const std::int64_t now = in_flight_.fetch_add(1, std::memory_order_acq_rel) + 1;
  std::int64_t peak_seen = peak_.load(std::memory_order_relaxed);
  while (now > peak_seen && !peak_.compare_exchange_weak(peak_seen, now)) {
  }
}

void CreditWindow::returned(std::int64_t n) noexcept {
  const std::int64_t before = in_flight_.fetch_sub(n, std::memory_order_seq_cst);
  if (before >= credits_ && before - n < credits_) {
    for (Task* producer : producers_) producer->wake();
  }
}

}  // namespace sw::runtime
