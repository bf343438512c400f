// transform: a class-based, stateful transformer (concept sw::Transformer). Each instance
// owns a copy of the object, so its state needs no locks; finish(emit), if present, runs
// once at end of stream to emit what the object holds back. Options: NodeOptions.
#pragma once

#include <utility>

#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/stream.hpp"

namespace sw {

// A class-based transformer: `using output_type = U;`, process(const T&, Emitter<U>&), and
// optionally finish(Emitter<U>&) to emit what it holds at end of stream. One object per
// instance (copied), so it may keep state without locks.
template <class P, class T>
concept Transformer = Item<T> && std::copy_constructible<P> && requires {
  typename P::output_type;
} && Item<typename P::output_type> &&
    requires(P& p, const T& item, Emitter<typename P::output_type>& out) {
  p.process(item, out);
};

template <class In, class P>
class TransformKernel final : public TransformBase<In, typename P::output_type> {
  using Out = typename P::output_type;

 public:
  TransformKernel(const InstanceContext& ctx, P p)
      : TransformBase<In, Out>(ctx), p_(std::move(p)) {}

  // The object is the state: checkpoints save it when it has a binary codec (an aggregate of
  // codable members, or sw_encode/sw_decode beside it).
  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return BinaryCodable<P> ? Checkpointing::saves_state : Checkpointing::cannot_save;
  }
  void snapshot(StateWriter& state) override {
    if constexpr (BinaryCodable<P>) state.value(p_);
  }
  void restore(StateReader& state) override {
    if constexpr (BinaryCodable<P>) BinaryReader(state.values()).read(p_);
  }

 protected:
  void on_batch(BatchPtr<In>&& batch) override {
    Emitter<Out> out = this->emitter();
    this->read_each(*batch, [&](const In& x) { p_.process(x, out); });
  }
  void on_finish() override {
    if constexpr (requires(P & p, Emitter<Out> & out) { p.finish(out); }) {
      Emitter<Out> out = this->emitter();
      p_.finish(out);
    }
  }

 private:
  P p_;
};

template <class Self, class T>
class TransformMethods : public StreamMixin<Self, TransformMethods<Self, T>> {
 public:
  // A class-based (stateful) transformer; each instance gets its own copy of `p`.
  template <class P>
  requires Transformer<P, T> TransformStream<T, typename P::output_type> transform(
      std::string name, P p, NodeOptions options = {})
  const {
    using Out = typename P::output_type;
    return this->self().template add_transform<Out, TransformKernel<T, P>>(
        std::move(name), "transform", options, std::move(p));
  }
};

}  // namespace sw
