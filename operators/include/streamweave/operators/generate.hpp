// generate<T>(count, f): a source of f(0), f(1), ..., f(count - 1). Parallel instances each
// produce one contiguous index range, so the union is exactly the single-instance output.
// sw::unbounded makes a never-ending source (stop it with a deadline or a CancelToken).
// Options: NodeOptions; a source's error policy is stop.
#pragma once

#include <algorithm>
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

// A generator's instance as the head of a compiled chain (engine/chain.hpp): each item goes
// down the chain as it is made, with no batch in between.
template <class T, class F>
class GeneratePart {
 public:
  template <class Spec>
  GeneratePart(const InstanceContext& ctx, const Spec& spec)
      : instance_(ctx.instance),
        parallelism_(ctx.parallelism),
        f_(spec.f),
        left_(spec.count, ctx.instance, ctx.parallelism) {}

  [[nodiscard]] Checkpointing checkpointing() const noexcept { return Checkpointing::saves_state; }
  void snapshot(StateWriter& state) { left_.snapshot(state); }
  void restore(StateReader& state) { left_.restore(state, instance_, parallelism_); }

  template <class Push>
  bool produce(std::size_t max_items, Push& push) {
    const auto [begin, stop] = left_.take(max_items);
    for (std::uint64_t i = begin; i < stop; ++i) {
      push(i, [&] { return T(std::invoke(f_, i)); });
    }
    return !left_.empty();
  }

 private:
  unsigned instance_;
  unsigned parallelism_;
  F f_;
  detail::IndexRanges left_;
};

template <class T, class F>
class GenerateSource final : public SourceBase<T> {
 public:
  template <class Spec>
  GenerateSource(const InstanceContext& ctx, const Spec& spec)
      : SourceBase<T>(ctx), part_(ctx, spec) {}

  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return part_.checkpointing();
  }
  void snapshot(StateWriter& state) override { part_.snapshot(state); }
  void restore(StateReader& state) override { part_.restore(state); }

 protected:
  // Fills one pooled batch in a tight loop and passes it down the chain.
  bool on_produce(std::size_t max_items) override {
    BatchPtr<T> batch = this->out_pool().acquire(std::min(max_items, this->ctx_.batch_size));
    auto& items = batch->items;
    std::uint64_t at = 0;
    auto append = [&](std::uint64_t position, auto&& make) {
      at = position;
      items.push_back(make());
    };
    bool more = false;
    this->guarded_at(at, [&] { more = part_.produce(max_items, append); });
    if (!items.empty()) this->emit_batch(std::move(batch));
    return more;
  }

 private:
  GeneratePart<T, F> part_;
};

template <class T, class F>
struct GenerateSpec {
  using value_type = T;
  using chain_part = GeneratePart<T, F>;
  static constexpr const char* op_name = "generate";
  std::uint64_t count;
  F f;

  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<GenerateSource<T, F>>(ctx, *this);
  }
};

template <class T, class F>
requires GeneratorFunction<F, T>
[[nodiscard]] GenerateSpec<T, F> generate(std::uint64_t count, F f) {
  return {count, std::move(f)};
}

}  // namespace sw
