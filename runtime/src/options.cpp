#include "streamweave/runtime/options.hpp"

#include <thread>

namespace sw {

unsigned resolved_threads(const RunOptions& options) noexcept {
  if (options.threads != 0) return options.threads;
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware == 0 ? 1 : hardware;
}

PlanDefaults plan_defaults(const RunOptions& options, unsigned workers) noexcept {
  return PlanDefaults{workers, options.batch_size, options.linger, options.channel_capacity};
}

}  // namespace sw
