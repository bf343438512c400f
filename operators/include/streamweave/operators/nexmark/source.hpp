// nexmark::source(config): a source of NEXMark events (Beam's generator, see generator.hpp).
// Instance i of n makes the generator's events k = i, i + n, i + 2n, ... in order: together
// exactly the single generator's events, each exactly once, and every instance moves
// through event time at the same pace (a contiguous split would leave the watermark of the
// merged stream waiting on the slowest range). Options: NodeOptions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "streamweave/engine/instance.hpp"
#include "streamweave/operators/nexmark/event_strides.hpp"
#include "streamweave/operators/nexmark/generator.hpp"
#include "streamweave/serde/str_arena.hpp"

namespace sw::nexmark {

struct SourceSpec;

// The events one instance makes: as the source's own loop, or as the head of a compiled chain
// (engine/chain.hpp), which takes each event as it is made.
class NexmarkPart {
 public:
  NexmarkPart(const InstanceContext& ctx, const SourceSpec& spec);

  // Its position: which events it has made (event_strides.hpp).
  [[nodiscard]] Checkpointing checkpointing() const noexcept { return Checkpointing::saves_state; }
  void snapshot(StateWriter& state) { strides_.snapshot(state); }
  void restore(StateReader& state) { strides_.restore(state, node_); }

  // push(k, make) for each of at most max_items events (k: the event's number in the whole
  // stream, what an error names); false once this instance has made all of its events.
  template <class Push>
  bool produce(std::size_t max_items, Push& push) {
    const std::uint64_t end = generator_->config().events;
    for (std::size_t made = 0; made < max_items && strides_.next() < end; strides_.advance()) {
      if (strides_.made_before()) continue;
      const std::uint64_t k = strides_.next();
      push(k, [&] { return generator_->event(k, arena_); });
      ++made;
    }
    return strides_.next() < end;
  }

 private:
  std::shared_ptr<const Generator> generator_;
  StrArena arena_;
  EventStrides strides_;
  std::string node_;
};

class NexmarkSource final : public SourceBase<Event> {
 public:
  NexmarkSource(const InstanceContext& ctx, const SourceSpec& spec)
      : SourceBase<Event>(ctx), part_(ctx, spec) {}

  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return part_.checkpointing();
  }
  void snapshot(StateWriter& state) override { part_.snapshot(state); }
  void restore(StateReader& state) override { part_.restore(state); }

 protected:
  bool on_produce(std::size_t max_items) override {
    BatchPtr<Event> batch = this->out_pool().acquire(max_items);
    auto& items = batch->items;
    std::uint64_t at = 0;
    auto append = [&](std::uint64_t k, auto&& make) {
      at = k;
      items.push_back(make());
    };
    bool more = false;
    this->guarded_at(at, [&] { more = part_.produce(max_items, append); });
    if (!items.empty()) this->emit_batch(std::move(batch));
    return more;
  }

 private:
  NexmarkPart part_;
};

struct SourceSpec {
  using value_type = Event;
  using chain_part = NexmarkPart;
  static constexpr const char* op_name = "nexmark";
  std::shared_ptr<const Generator> generator;

  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<NexmarkSource>(ctx, *this);
  }
};

inline NexmarkPart::NexmarkPart(const InstanceContext& ctx, const SourceSpec& spec)
    : generator_(spec.generator),
      arena_(ctx.pools->buffer_pool()),
      strides_(ctx.instance, ctx.parallelism),
      node_(*ctx.node) {}

// The events of `config`'s generator. Throws std::invalid_argument on a bad configuration.
[[nodiscard]] inline SourceSpec source(const GeneratorConfig& config = {}) {
  return SourceSpec{std::make_shared<const Generator>(config)};
}

}  // namespace sw::nexmark
