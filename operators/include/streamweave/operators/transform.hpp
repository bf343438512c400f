// transform: a class-based, stateful transformer (concept sw::Transformer). Each instance
// owns a copy of the object, so its state needs no locks; finish(emit), if present, runs
// once at end of stream to emit what the object holds back. Options: NodeOptions.
#pragma once

#include <utility>

#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/node_types.hpp"

namespace sw {

template <class In, class P>
class Kernel<op::transform, In, P> final : public TransformBase<In, typename P::output_type> {
  using Out = typename P::output_type;

 public:
  Kernel(const InstanceContext& ctx, P p) : TransformBase<In, Out>(ctx), p_(std::move(p)) {}

  void push(In&& item) override { push_ref(item); }
  void push_ref(const In& item) override {
    this->guarded(item, [this](const In& x) {
      Emitter<Out> out = this->emitter();
      p_.process(x, out);
    });
  }

 protected:
  void on_finish() override {
    if constexpr (requires(P & p, Emitter<Out> & out) { p.finish(out); }) {
      Emitter<Out> out = this->emitter();
      p_.finish(out);
    }
  }

 private:
  P p_;
};

}  // namespace sw
