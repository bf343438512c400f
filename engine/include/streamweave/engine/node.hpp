// NodeSpec: one node of the blueprint. It knows its item types and how to make instances,
// pools and collectors for them; it holds no runtime state, so a graph can run many times.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <typeindex>
#include <utility>
#include <vector>

#include "streamweave/engine/batch.hpp"
#include "streamweave/engine/batch_codec.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/options.hpp"
#include "streamweave/engine/output.hpp"
#include "streamweave/engine/partitioning.hpp"

namespace sw {

using NodeId = std::size_t;

enum class NodeKind : std::uint8_t { source, transform, sink };

class ChainCompiler;  // chain.hpp

// Type-dependent factories of one output port.
class PortSpec {
 public:
  virtual ~PortSpec() = default;
  [[nodiscard]] virtual std::type_index item_type() const noexcept = 0;
  [[nodiscard]] virtual std::unique_ptr<BatchPoolBase> make_pool(BufferPool& buffers) const = 0;
  [[nodiscard]] virtual std::unique_ptr<CollectorBase> make_collector(
      BatchPoolBase& pool, CollectorConfig config, std::vector<EdgeBinding> edges) const = 0;
  // How the port's batches become bytes and back; nullptr when the item type has no binary
  // codec (its batches cannot leave the process).
  [[nodiscard]] virtual const BatchCodec* codec() const noexcept = 0;
  [[nodiscard]] virtual std::string_view item_type_name() const noexcept = 0;
};

template <class T>
class TypedPortSpec final : public PortSpec {
 public:
  [[nodiscard]] std::type_index item_type() const noexcept override { return typeid(T); }
  [[nodiscard]] std::unique_ptr<BatchPoolBase> make_pool(BufferPool& buffers) const override {
    return std::make_unique<BatchPool<T>>(BatchPool<T>::kDefaultRetained, buffers);
  }
  [[nodiscard]] std::unique_ptr<CollectorBase> make_collector(
      BatchPoolBase& pool, CollectorConfig config, std::vector<EdgeBinding> edges) const override {
    return std::make_unique<OutputCollector<T>>(static_cast<BatchPool<T>&>(pool), config,
                                                std::move(edges));
  }
  [[nodiscard]] const BatchCodec* codec() const noexcept override {
    if constexpr (BinaryCodable<T>) {
      static const TypedBatchCodec<T> codec;
      return &codec;
    } else {
      return nullptr;
    }
  }
  [[nodiscard]] std::string_view item_type_name() const noexcept override { return type_name<T>(); }
};

class NodeSpec {
 public:
  NodeSpec(std::string name, std::string op, NodeKind kind, NodeOptions options)
      : name_(std::move(name)), op_(std::move(op)), kind_(kind), options_(options) {}
  NodeSpec(const NodeSpec&) = delete;
  NodeSpec& operator=(const NodeSpec&) = delete;
  virtual ~NodeSpec() = default;

  // A fresh instance for one task. Called by the runtime before the run starts.
  [[nodiscard]] virtual std::unique_ptr<OperatorInstance> instantiate(
      const InstanceContext& ctx) const = 0;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  // The operator's kind, for reports and DOT ("map", "filter", "reduce", ...).
  [[nodiscard]] const std::string& op() const noexcept { return op_; }
  [[nodiscard]] NodeKind kind() const noexcept { return kind_; }
  // "node 'name' (op)", how errors name it.
  [[nodiscard]] std::string describe() const { return "node '" + name_ + "' (" + op_ + ")"; }
  [[nodiscard]] const NodeOptions& options() const noexcept { return options_; }
  NodeOptions& options() noexcept { return options_; }
  [[nodiscard]] std::size_t port_count() const noexcept { return ports_.size(); }
  [[nodiscard]] const PortSpec& port(std::size_t i) const { return *ports_.at(i); }
  // The item type the node takes; typeid(void) for a source.
  [[nodiscard]] virtual std::type_index input_type() const noexcept = 0;
  // A node with several inputs (merge) is never fused into one of its producers.
  [[nodiscard]] virtual bool accepts_many_inputs() const noexcept { return false; }
  // Without a parallelism of its own, the node takes its input's (with_watermarks: it must
  // see each source instance's items in their order, so it fuses with the source).
  [[nodiscard]] bool inherits_parallelism() const noexcept { return inherits_parallelism_; }
  void inherit_parallelism() noexcept { inherits_parallelism_ = true; }
  // One instance for this node and the stateless nodes before it (chain.hpp), which the plan
  // uses where they form one task; null when the node offers none.
  [[nodiscard]] const ChainCompiler* compiler() const noexcept { return compiler_.get(); }
  void set_compiler(std::shared_ptr<const ChainCompiler> compiler) noexcept {
    compiler_ = std::move(compiler);
  }

 protected:
  template <class T>
  void add_port() {
    ports_.push_back(std::make_unique<TypedPortSpec<T>>());
  }

 private:
  std::string name_;
  std::string op_;
  NodeKind kind_;
  NodeOptions options_;
  bool inherits_parallelism_ = false;
  std::vector<std::unique_ptr<PortSpec>> ports_;
  std::shared_ptr<const ChainCompiler> compiler_;
};

struct EdgeSpec {
  NodeId from = 0;
  std::size_t port = 0;
  NodeId to = 0;
  // forward means "as the parallelism allows": forward when equal, else rebalance.
  Partitioning partitioning = Partitioning::forward;
  std::shared_ptr<const KeyRouterBase> router{};  // hash edges only
};

}  // namespace sw
