// nexmark::source(config): a source of NEXMark events (Beam's generator, see generator.hpp).
// Instance i of n makes the generator's events k = i, i + n, i + 2n, ... in order: together
// exactly the single generator's events, each exactly once, and every instance moves
// through event time at the same pace (a contiguous split would leave the watermark of the
// merged stream waiting on the slowest range). Options: NodeOptions.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "streamweave/engine/instance.hpp"
#include "streamweave/operators/nexmark/generator.hpp"
#include "streamweave/serde/str_arena.hpp"

namespace sw::nexmark {

class NexmarkSource final : public SourceBase<Event> {
 public:
  NexmarkSource(const InstanceContext& ctx, const Generator& generator)
      : SourceBase<Event>(ctx),
        generator_(&generator),
        arena_(ctx.pools->buffer_pool()),
        next_(ctx.instance),
        stride_(ctx.parallelism) {}

  // Its position: the next event number (and the stride, the parallelism that made it).
  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return Checkpointing::saves_state;
  }
  void snapshot(StateWriter& state) override {
    state.value(next_);
    state.value(stride_);
  }
  void restore(StateReader& state) override;

 protected:
  bool on_produce(std::size_t max_items) override {
    const std::uint64_t end = generator_->config().events;
    BatchPtr<Event> batch = this->out_pool().acquire(max_items);
    auto& items = batch->items;
    this->guarded_at(next_, [&] {
      for (; items.size() < max_items && next_ < end; next_ += stride_) {
        if (next_ < made_below_ && made_before(next_)) continue;
        items.push_back(generator_->event(next_, arena_));
      }
    });
    if (!items.empty()) this->emit_batch(std::move(batch));
    return next_ < end;
  }

 private:
  // Restored with another parallelism: whether an instance of the saved run made event k.
  [[nodiscard]] bool made_before(std::uint64_t k) const noexcept {
    return k < saved_next_[k % saved_next_.size()];
  }

  const Generator* generator_;
  StrArena arena_;
  std::uint64_t next_;
  std::uint64_t stride_;
  // After a restore into another parallelism: the saved instances' next event, by k % their
  // count, and the event from which none was made (0 otherwise: nothing to skip).
  std::vector<std::uint64_t> saved_next_;
  std::uint64_t made_below_ = 0;
};

struct SourceSpec {
  using value_type = Event;
  static constexpr const char* op_name = "nexmark";
  std::shared_ptr<const Generator> generator;

  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<NexmarkSource>(ctx, *generator);
  }
};

// The events of `config`'s generator. Throws std::invalid_argument on a bad configuration.
[[nodiscard]] inline SourceSpec source(const GeneratorConfig& config = {}) {
  return SourceSpec{std::make_shared<const Generator>(config)};
}

}  // namespace sw::nexmark
