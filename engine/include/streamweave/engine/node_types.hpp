// The NodeSpec shapes the fluent API builds: source, one-input transform, merge and sink.
// Each holds a factory that makes one operator instance per parallel task.
#pragma once

#include <memory>
#include <string>
#include <typeindex>
#include <utility>

#include "streamweave/engine/concepts.hpp"
#include "streamweave/engine/node.hpp"

namespace sw {

// The operator library specialises Kernel<Tag, ...> for each transform (operators/*.hpp);
// the fluent Stream API instantiates it. Including <streamweave/streamweave.hpp> brings all.
template <class Tag, class... Args>
class Kernel;

namespace op {
struct map;
struct filter;
struct flat_map;
struct flat_map_emit;
struct inspect;
struct transform;
struct merge;
struct aggregate;
}  // namespace op

template <class Out, class Make>
class SourceNode final : public NodeSpec {
 public:
  SourceNode(std::string name, std::string op, NodeOptions options, Make make)
      : NodeSpec(std::move(name), std::move(op), NodeKind::source, options),
        make_(std::move(make)) {
    add_port<Out>();
  }
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(
      const InstanceContext& ctx) const override {
    return make_(ctx);
  }
  [[nodiscard]] std::type_index input_type() const noexcept override { return typeid(void); }

 private:
  Make make_;
};

// Port 0 carries Out; port 1 carries DeadLetter<In> (used under ErrorPolicy::dead_letter).
template <class In, class Out, class Make>
class TransformNode final : public NodeSpec {
 public:
  TransformNode(std::string name, std::string op, NodeOptions options, Make make)
      : NodeSpec(std::move(name), std::move(op), NodeKind::transform, options),
        make_(std::move(make)) {
    add_port<Out>();
    add_port<DeadLetter<In>>();
  }
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(
      const InstanceContext& ctx) const override {
    return make_(ctx);
  }
  [[nodiscard]] std::type_index input_type() const noexcept override { return typeid(In); }

 private:
  Make make_;
};

template <class T>
class MergeNode final : public NodeSpec {
 public:
  MergeNode(std::string name, NodeOptions options)
      : NodeSpec(std::move(name), "merge", NodeKind::transform, options) {
    add_port<T>();
  }
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(
      const InstanceContext& ctx) const override {
    return std::make_unique<Kernel<op::merge, T>>(ctx);
  }
  [[nodiscard]] std::type_index input_type() const noexcept override { return typeid(T); }
  [[nodiscard]] bool accepts_many_inputs() const noexcept override { return true; }
};

template <class In, class Make>
class SinkNode final : public NodeSpec {
 public:
  SinkNode(std::string name, std::string op, NodeOptions options, Make make)
      : NodeSpec(std::move(name), std::move(op), NodeKind::sink, options), make_(std::move(make)) {}
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(
      const InstanceContext& ctx) const override {
    return make_(ctx);
  }
  [[nodiscard]] std::type_index input_type() const noexcept override { return typeid(In); }

 private:
  Make make_;
};

}  // namespace sw
