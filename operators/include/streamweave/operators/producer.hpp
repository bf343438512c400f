// producer(p): a source driven by a class-based sw::Producer — p.next() returns
// std::optional<T> until it returns std::nullopt. Each instance owns p.split(i, n) (or p
// itself when the node has parallelism 1). Options: NodeOptions.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include "streamweave/engine/concepts.hpp"
#include "streamweave/engine/errors.hpp"
#include "streamweave/engine/instance.hpp"

namespace sw {

template <class P>
using produced_t = typename std::remove_cvref_t<decltype(std::declval<P&>().next())>::value_type;

template <class P>
class ProducerSource final : public SourceBase<produced_t<P>> {
  using T = produced_t<P>;

 public:
  ProducerSource(const InstanceContext& ctx, P p) : SourceBase<T>(ctx), p_(std::move(p)) {}

  // Returns after max_items items or about a millisecond, whichever comes first, so that a
  // slow producer still lets its task flush lingering batches and check for cancellation.
 protected:
  bool on_produce(std::size_t max_items) override {
    const Clock::time_point give_back = Clock::now() + kStepTime;
    for (std::size_t i = 0; i < max_items; ++i) {
      auto next = this->guarded(position_, [&] { return p_.next(); });
      if (!next) return false;
      ++position_;
      this->emit(T(std::move(*next)));
      if (Clock::now() >= give_back) break;
    }
    return true;
  }

 private:
  static constexpr std::chrono::microseconds kStepTime{1000};

  P p_;
  std::uint64_t position_ = 0;
};

template <class P>
struct ProducerSpec {
  using value_type = produced_t<P>;
  static constexpr const char* op_name = "producer";
  P prototype;

  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    if constexpr (SplittableProducer<P>) {
      return std::make_unique<ProducerSource<P>>(ctx,
                                                 P(prototype.split(ctx.instance, ctx.parallelism)));
    } else {
      if (ctx.parallelism != 1) {
        throw GraphError("node '" + *ctx.node +
                         "': its producer has no split(i, n), so its "
                         "parallelism must be 1 (it is " +
                         std::to_string(ctx.parallelism) + ")");
      }
      return std::make_unique<ProducerSource<P>>(ctx, prototype);
    }
  }
};

template <class P>
requires Producer<P>
[[nodiscard]] ProducerSpec<P> producer(P p) {
  return {std::move(p)};
}

}  // namespace sw
