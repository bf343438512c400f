// consumer(c): a sink driven by a class-based sw::Consumer — c.consume(item) per item and
// c.finish() (if present) at end of stream. Each instance owns a copy of c.
// Options: NodeOptions (skip/retry apply to consume).
#pragma once

#include <memory>
#include <utility>

#include "streamweave/engine/concepts.hpp"
#include "streamweave/engine/instance.hpp"

namespace sw {

template <class T, class C>
class ConsumerSink final : public SinkBase<T> {
 public:
  ConsumerSink(const InstanceContext& ctx, C c) : SinkBase<T>(ctx), c_(std::move(c)) {}

  void push_items(BatchPtr<T> batch) override {
    this->consume_each(*batch, [this](const T& x) { c_.consume(x); });
  }
  void finish() override {
    if constexpr (requires(C & c) { c.finish(); }) c_.finish();
  }

 private:
  C c_;
};

template <class C>
struct ConsumerSpec {
  static constexpr const char* op_name = "consumer";
  C prototype;

  template <class T>
  requires Consumer<C, T>
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<ConsumerSink<T, C>>(ctx, prototype);
  }
};

template <class C>
[[nodiscard]] ConsumerSpec<C> consumer(C c) {
  return {std::move(c)};
}

}  // namespace sw
