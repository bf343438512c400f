// generate<T>(count, f): a source of f(0), f(1), ..., f(count - 1). Parallel instances each
// produce one contiguous index range, so the union is exactly the single-instance output.
// sw::unbounded makes a never-ending source (stop it with a deadline or a CancelToken).
// Options: NodeOptions; a source's error policy is stop.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "streamweave/engine/concepts.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/operators/index_ranges.hpp"

namespace sw {

inline constexpr std::uint64_t unbounded = std::numeric_limits<std::uint64_t>::max();

template <class T, class F>
class GenerateSource final : public SourceBase<T> {
 public:
  GenerateSource(const InstanceContext& ctx, std::uint64_t count, F f)
      : SourceBase<T>(ctx), f_(std::move(f)), left_(count, ctx.instance, ctx.parallelism) {}

  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return Checkpointing::saves_state;
  }
  void snapshot(StateWriter& state) override { left_.snapshot(state); }
  void restore(StateReader& state) override {
    left_.restore(state, this->ctx_.instance, this->ctx_.parallelism);
  }

  // Fills one pooled batch in a tight loop and passes it down the chain.
 protected:
  bool on_produce(std::size_t max_items) override {
    const auto [begin, stop] = left_.take(max_items);
    BatchPtr<T> batch = this->out_pool().acquire(static_cast<std::size_t>(stop - begin));
    auto& items = batch->items;
    std::uint64_t i = begin;
    this->guarded_at(i, [&] {
      for (; i < stop; ++i) items.push_back(T(std::invoke(f_, i)));
    });
    if (!items.empty()) this->emit_batch(std::move(batch));
    return !left_.empty();
  }

 private:
  F f_;
  detail::IndexRanges left_;
};

// A generator's instance as the head of a compiled chain (engine/chain.hpp): each item goes
// down the chain as it is made, with no batch in between.
template <class T, class F>
class GeneratePart {
 public:
  template <class Spec>
  GeneratePart(const InstanceContext& ctx, const Spec& spec)
      : ctx_(ctx), f_(spec.f), left_(spec.count, ctx.instance, ctx.parallelism) {}

  [[nodiscard]] Checkpointing checkpointing() const noexcept { return Checkpointing::saves_state; }
  void snapshot(StateWriter& state) { left_.snapshot(state); }
  void restore(StateReader& state) { left_.restore(state, ctx_.instance, ctx_.parallelism); }

  template <class Push>
  bool produce(std::size_t max_items, Push& push) {
    const auto [begin, stop] = left_.take(max_items);
    for (std::uint64_t i = begin; i < stop; ++i) {
      push(i, [&] { return T(std::invoke(f_, i)); });
    }
    return !left_.empty();
  }

 private:
  InstanceContext ctx_;
  F f_;
  detail::IndexRanges left_;
};

template <class T, class F>
struct GenerateSpec {
  using value_type = T;
  using chain_part = GeneratePart<T, F>;
  static constexpr const char* op_name = "generate";
  std::uint64_t count;
  F f;

  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<GenerateSource<T, F>>(ctx, count, f);
  }
};

template <class T, class F>
requires GeneratorFunction<F, T>
[[nodiscard]] GenerateSpec<T, F> generate(std::uint64_t count, F f) {
  return {count, std::move(f)};
}

}  // namespace sw
