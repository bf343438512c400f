#include "streamweave/engine/instance.hpp"

#include <typeinfo>

namespace sw {

BatchPoolStats BatchPoolBase::stats() const noexcept {
  BatchPoolStats stats{acquired_, created_, free_.size()};
  for (const BatchBase* node = remote_.load(std::memory_order_acquire); node != nullptr;
       node = node->remote_next_) {
    ++stats.retained;
  }
  return stats;
}

void BatchPoolBase::push_remote(BatchBase& batch) noexcept {
  BatchBase* head = remote_.load(std::memory_order_relaxed);
  do {
    batch.remote_next_ = head;
  } while (!remote_.compare_exchange_weak(head, &batch, std::memory_order_release,
                                          std::memory_order_relaxed));
}

namespace detail {

void throw_port_mismatch(const InstanceContext& ctx, std::size_t port) {
  throw GraphError("node '" + *ctx.node + "': output port " + std::to_string(port) +
                   " does not exist or is connected to a node of another item type");
}

std::string describe(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception (not derived from std::exception)";
  }
}

void throw_node_error(const InstanceContext& ctx, std::uint64_t position,
                      std::exception_ptr error) {
  throw NodeError(*ctx.node, ctx.instance, position, describe(error));
}

void skip_error(const InstanceContext& ctx, InstanceMetrics& metrics, std::uint64_t position,
                std::string message) {
  ++metrics.errors_skipped;
  const std::uint64_t limit = ctx.errors.max_errors();
  if (limit != ErrorPolicy::kUnlimited) {
    const std::uint64_t skipped =
        ctx.node_errors_skipped != nullptr
            ? ctx.node_errors_skipped->fetch_add(1, std::memory_order_relaxed) + 1
            : metrics.errors_skipped;
    if (skipped > limit) {
      std::string first = metrics.first_errors.empty() ? message : metrics.first_errors.front();
      throw NodeError(*ctx.node, ctx.instance, position,
                      "more than " + std::to_string(limit) +
                          " errors (the skip policy's limit); this one: " + message +
                          "; the first: " + first);
    }
  }
  if (metrics.first_errors.size() < kErrorsNamed) {
    metrics.first_errors.push_back("item " + std::to_string(position) + ": " + message);
  }
}

}  // namespace detail
}  // namespace sw
