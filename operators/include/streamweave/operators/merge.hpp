// merge: the items of several streams of one type as one stream (fan-in), in no order
// between inputs. Whole batches pass through by reference; nothing is copied.
//   a.merge(b, c)                      // named "merge", "merge#2", ...
//   a.merge_as("all", options, b, c)   // with a name and NodeOptions
#pragma once

#include <concepts>
#include <memory>
#include <string>
#include <utility>

#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/stream.hpp"

namespace sw {

template <class T>
class MergeKernel final : public TransformBase<T, T> {
 public:
  explicit MergeKernel(const InstanceContext& ctx) : TransformBase<T, T>(ctx) {}

  void on_batch(BatchPtr<T>&& batch) override { this->emit_batch(std::move(batch)); }
};

// The one node kind with many inputs.
template <class T>
class MergeNode final : public NodeSpec {
 public:
  MergeNode(std::string name, NodeOptions options)
      : NodeSpec(std::move(name), "merge", NodeKind::transform, options) {
    add_port<T>();
  }
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(
      const InstanceContext& ctx) const override {
    return std::make_unique<MergeKernel<T>>(ctx);
  }
  [[nodiscard]] std::type_index input_type() const noexcept override { return typeid(T); }
  [[nodiscard]] bool accepts_many_inputs() const noexcept override { return true; }
};

template <class Self, class T>
class MergeMethods : public StreamMixin<Self, MergeMethods<Self, T>> {
 public:
  // One stream of the items of this stream and of `others` (same item type), in no
  // particular order between inputs.
  template <class... Others>
  requires(std::convertible_to<const Others&, const Stream<T>&>&&...) Stream<T> merge(
      const Others&... others)
  const { return merge_as(this->self().graph().unique_name("merge"), {}, others...); }
  template <class... Others>
  requires(std::convertible_to<const Others&, const Stream<T>&>&&...) Stream<T> merge_as(
      std::string name, NodeOptions options, const Others&... others)
  const {
    const NodeId id = this->self().attach(std::make_unique<MergeNode<T>>(std::move(name), options));
    (static_cast<const Stream<T>&>(others).connect_to(id), ...);
    return Stream<T>(this->self().graph(), id, kMainPort);
  }
};

}  // namespace sw
