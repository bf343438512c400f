// for_each(f): calls f(item) for every item. Each instance calls its own copy of f from its
// task's thread; with parallelism > 1 copies run concurrently, so shared state that f
// captures by reference must be synchronised. Options: NodeOptions (skip/retry apply).
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include "streamweave/engine/concepts.hpp"
#include "streamweave/engine/instance.hpp"

namespace sw {

template <class T, class F>
class ForEachSink final : public SinkBase<T> {
 public:
  ForEachSink(const InstanceContext& ctx, F f) : SinkBase<T>(ctx), f_(std::move(f)) {}

  void push_items(BatchPtr<T> batch) override {
    this->consume_each(*batch, [this](const T& x) { std::invoke(f_, x); });
  }
  void finish() override {}

 private:
  F f_;
};

template <class F>
struct ForEachSpec {
  static constexpr const char* op_name = "for_each";
  F f;

  template <class T>
  requires ItemFunction<F, T>
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<ForEachSink<T, F>>(ctx, f);
  }
};

template <class F>
[[nodiscard]] ForEachSpec<F> for_each(F f) {
  return {std::move(f)};
}

}  // namespace sw
