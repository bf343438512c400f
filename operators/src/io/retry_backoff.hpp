// Internal to the connectors: how they retry a server that went away.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include "streamweave/engine/options.hpp"

namespace sw::detail {

// Retrying a lost server: 50 ms, doubling up to 1 s, until `retry_for` has passed since the
// first failure in a row.
class RetryBackoff {
 public:
  explicit RetryBackoff(std::chrono::milliseconds retry_for) noexcept : retry_for_(retry_for) {}
  // After a failure: how long to wait before the next try; nullopt once retry_for is over.
  std::optional<std::chrono::milliseconds> next(Clock::time_point now) {
    if (give_up_ == kNotFailing) give_up_ = now + retry_for_;
    if (now >= give_up_) return std::nullopt;
    const std::chrono::milliseconds delay = delay_;
    delay_ = std::min(delay_ * 2, kLongest);
    return delay;
  }
  void succeeded() noexcept {
    give_up_ = kNotFailing;
    delay_ = kFirst;
  }
  // " (gave up after retrying for N ms)", for the error that ends the retries.
  [[nodiscard]] std::string gave_up() const {
    return " (gave up after retrying for " + std::to_string(retry_for_.count()) + " ms)";
  }

 private:
  static constexpr std::chrono::milliseconds kFirst{50};
  static constexpr std::chrono::milliseconds kLongest{1000};
  std::chrono::milliseconds retry_for_;
  std::chrono::milliseconds delay_ = kFirst;
  static constexpr Clock::time_point kNotFailing = Clock::time_point::max();
  Clock::time_point give_up_ = kNotFailing;  // when the retries end, once one failed
};

}  // namespace sw::detail
