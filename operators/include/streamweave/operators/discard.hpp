// discard(): drops every item (counted in the report). Ends a stream whose results are not
// needed, e.g. when measuring. Options: NodeOptions.
#pragma once

#include <memory>

#include "streamweave/engine/instance.hpp"

namespace sw {

template <class T>
class DiscardSink final : public SinkBase<T> {
 public:
  using SinkBase<T>::SinkBase;
  void push_items(BatchPtr<T> batch) override { this->metrics_.items_in += batch->size(); }
  void finish() override {}
};

struct DiscardSpec {
  static constexpr const char* op_name = "discard";
  template <class T>
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<DiscardSink<T>>(ctx);
  }
};

[[nodiscard]] inline DiscardSpec discard() noexcept {
  return {};
}

}  // namespace sw
