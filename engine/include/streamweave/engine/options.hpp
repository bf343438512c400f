// Settings of a node, and the defaults a plan resolves them against. Plain values: build them
// anywhere, copy them freely. How a graph is run (threads, deadline, mode) is the runtime's:
// <streamweave/runtime/options.hpp>.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace sw {

using Clock = std::chrono::steady_clock;

// What a node does when a user function throws on an item.
class ErrorPolicy {
 public:
  enum class Kind : std::uint8_t {
    stop,  // the first error cancels the whole graph; run() throws a PipelineError
    // The item is dropped and counted in the report, which names the first few; past
    // max_errors skipped items (by the node's instances in this process) the graph stops.
    skip,
    retry,        // the call is repeated up to `attempts` more times, then the graph stops
    dead_letter,  // the item and its error go to the node's dead-letter stream
  };

  [[nodiscard]] static constexpr ErrorPolicy stop() noexcept { return {Kind::stop, 0}; }
  static constexpr std::uint64_t kUnlimited = ~std::uint64_t{0};

  [[nodiscard]] static constexpr ErrorPolicy skip(std::uint64_t max_errors = kUnlimited) noexcept {
    return {Kind::skip, max_errors};
  }
  [[nodiscard]] static constexpr ErrorPolicy retry(unsigned attempts) noexcept {
    return {Kind::retry, attempts};
  }
  [[nodiscard]] static constexpr ErrorPolicy dead_letter() noexcept {
    return {Kind::dead_letter, 0};
  }

  [[nodiscard]] constexpr Kind kind() const noexcept { return kind_; }
  [[nodiscard]] constexpr unsigned attempts() const noexcept {
    return kind_ == Kind::retry ? static_cast<unsigned>(limit_) : 0;
  }
  // skip: the most items skipped before the graph stops (kUnlimited: no limit).
  [[nodiscard]] constexpr std::uint64_t max_errors() const noexcept {
    return kind_ == Kind::skip ? limit_ : kUnlimited;
  }
  [[nodiscard]] std::string to_string() const;
  friend constexpr bool operator==(const ErrorPolicy&, const ErrorPolicy&) = default;

 private:
  constexpr ErrorPolicy(Kind kind, std::uint64_t limit) noexcept : kind_(kind), limit_(limit) {}
  Kind kind_;
  std::uint64_t limit_;  // retry: attempts; skip: max_errors
};

// Per-node settings. Unset values fall back to the graph's defaults, then to the run's
// (PlanDefaults).
struct NodeOptions {
  std::optional<unsigned> parallelism{};              // instances of the node; 0 is an error
  std::optional<std::size_t> batch_size{};            // items per output batch
  std::optional<std::chrono::microseconds> linger{};  // longest a partial output batch waits
  std::optional<std::size_t> channel_capacity{};      // batches queued on each input channel
  ErrorPolicy errors = ErrorPolicy::stop();
  // false: the node gets its own task, never fused with its producer or consumer — to put
  // a slow or blocking operator on its own worker, or to measure a channel hop.
  bool chain = true;
};

// The most items a batch holds: a larger setting is a GraphError (a batch's storage is
// allocated whole).
inline constexpr std::size_t kMaxBatchSize = std::size_t{1} << 24;

// What a node's unset options resolve to (make_plan). The runtime fills it from its run
// options; the blueprint knows nothing else of how it will run.
struct PlanDefaults {
  unsigned parallelism = 1;  // of nodes that set none, when the graph sets no default either
  std::size_t batch_size = 1024;
  std::chrono::microseconds linger{1000};
  std::size_t channel_capacity = 16;
};

}  // namespace sw
