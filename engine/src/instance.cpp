#include "streamweave/engine/instance.hpp"

#include <typeinfo>

namespace sw {

BatchPoolStats BatchPoolBase::stats() const {
  std::lock_guard lock(mutex_);
  BatchPoolStats stats = stats_;
  stats.retained = free_.size();
  return stats;
}

BatchBase* BatchPoolBase::pop_free() noexcept {
  if (free_.empty()) return nullptr;
  BatchBase& batch = free_.front();
  free_.pop_front();
  return &batch;
}

bool BatchPoolBase::push_free(BatchBase& batch) noexcept {
  if (free_.size() >= max_retained_) return false;
  free_.push_front(batch);
  return true;
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

void throw_node_error(const InstanceContext& ctx, std::uint64_t position, std::exception_ptr error) {
  throw NodeError(*ctx.node, ctx.instance, position, describe(error));
}

}  // namespace detail
}  // namespace sw
