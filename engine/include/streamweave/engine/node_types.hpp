// The NodeSpec shapes the fluent API builds: source, one-input transform and sink (a merge's
// is operators/merge.hpp). Each holds a factory that makes one operator instance per
// parallel task.
#pragma once

#include <memory>
#include <string>
#include <typeindex>
#include <utility>

#include "streamweave/engine/concepts.hpp"
#include "streamweave/engine/node.hpp"

namespace sw {

// A node whose instances come from a factory `make(ctx)`.
template <class Make>
class FactoryNode : public NodeSpec {
 public:
  FactoryNode(std::string name, std::string op, NodeKind kind, NodeOptions options, Make make)
      : NodeSpec(std::move(name), std::move(op), kind, options), make_(std::move(make)) {}
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(
      const InstanceContext& ctx) const final {
    return make_(ctx);
  }

 private:
  Make make_;
};

template <class Out, class Make>
class SourceNode final : public FactoryNode<Make> {
 public:
  SourceNode(std::string name, std::string op, NodeOptions options, Make make)
      : FactoryNode<Make>(std::move(name), std::move(op), NodeKind::source, options,
                          std::move(make)) {
    this->template add_port<Out>();
  }
  [[nodiscard]] std::type_index input_type() const noexcept override { return typeid(void); }
};

// Port 0 carries Out; port 1 carries DeadLetter<In> (used under ErrorPolicy::dead_letter);
// ports 2, ... carry Extra... (a window's late items).
template <class In, class Out, class Make, class... Extra>
class TransformNode final : public FactoryNode<Make> {
 public:
  TransformNode(std::string name, std::string op, NodeOptions options, Make make)
      : FactoryNode<Make>(std::move(name), std::move(op), NodeKind::transform, options,
                          std::move(make)) {
    this->template add_port<Out>();
    this->template add_port<DeadLetter<In>>();
    (this->template add_port<Extra>(), ...);
  }
  [[nodiscard]] std::type_index input_type() const noexcept override { return typeid(In); }
};

template <class In, class Make>
class SinkNode final : public FactoryNode<Make> {
 public:
  SinkNode(std::string name, std::string op, NodeOptions options, Make make)
      : FactoryNode<Make>(std::move(name), std::move(op), NodeKind::sink, options,
                          std::move(make)) {}
  [[nodiscard]] std::type_index input_type() const noexcept override { return typeid(In); }
};

}  // namespace sw
