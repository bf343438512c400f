// nexmark::source(config): a source of NEXMark events (Beam's generator, see generator.hpp).
// Instance i of n makes the generator's events k = i, i + n, i + 2n, ... in order: together
// exactly the single generator's events, each exactly once, and every instance moves
// through event time at the same pace (a contiguous split would leave the watermark of the
// merged stream waiting on the slowest range). Options: NodeOptions.
#pragma once

#include <memory>
#include <utility>

#include "streamweave/engine/instance.hpp"
#include "streamweave/operators/nexmark/event_strides.hpp"
#include "streamweave/operators/nexmark/generator.hpp"
#include "streamweave/serde/str_arena.hpp"

namespace sw::nexmark {

class NexmarkSource final : public SourceBase<Event> {
 public:
  NexmarkSource(const InstanceContext& ctx, const Generator& generator)
      : SourceBase<Event>(ctx),
        generator_(&generator),
        arena_(ctx.pools->buffer_pool()),
        strides_(ctx.instance, ctx.parallelism) {}

  // Its position: which events it has made (event_strides.hpp).
  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return Checkpointing::saves_state;
  }
  void snapshot(StateWriter& state) override { strides_.snapshot(state); }
  void restore(StateReader& state) override { strides_.restore(state, *this->ctx_.node); }

 protected:
  bool on_produce(std::size_t max_items) override {
    const std::uint64_t end = generator_->config().events;
    BatchPtr<Event> batch = this->out_pool().acquire(max_items);
    auto& items = batch->items;
    this->guarded_at(strides_.next(), [&] {
      for (; items.size() < max_items && strides_.next() < end; strides_.advance()) {
        if (strides_.made_before()) continue;
        items.push_back(generator_->event(strides_.next(), arena_));
      }
    });
    if (!items.empty()) this->emit_batch(std::move(batch));
    return strides_.next() < end;
  }

 private:
  const Generator* generator_;
  StrArena arena_;
  EventStrides strides_;
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
