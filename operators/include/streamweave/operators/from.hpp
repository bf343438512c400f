// from(container): a source of a copy of each element, in order. The elements are held by
// the graph (shared between runs and instances); parallel instances each emit one
// contiguous slice. Options: NodeOptions.
#pragma once

#include <initializer_list>
#include <iterator>
#include <memory>
#include <ranges>
#include <vector>

#include "streamweave/engine/concepts.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/operators/index_ranges.hpp"

namespace sw {

template <class T>
class FromSource final : public SourceBase<T> {
 public:
  FromSource(const InstanceContext& ctx, std::shared_ptr<const std::vector<T>> items)
      : SourceBase<T>(ctx),
        items_(std::move(items)),
        left_(items_->size(), ctx.instance, ctx.parallelism) {}

  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return Checkpointing::saves_state;
  }
  void snapshot(StateWriter& state) override { left_.snapshot(state); }
  void restore(StateReader& state) override {
    left_.restore(state, this->ctx_.instance, this->ctx_.parallelism);
  }

 protected:
  bool on_produce(std::size_t max_items) override {
    const auto [begin, stop] = left_.take(max_items);
    BatchPtr<T> batch = this->out_pool().acquire(static_cast<std::size_t>(stop - begin));
    batch->items.assign(items_->begin() + static_cast<std::ptrdiff_t>(begin),
                        items_->begin() + static_cast<std::ptrdiff_t>(stop));
    if (!batch->items.empty()) this->emit_batch(std::move(batch));
    return !left_.empty();
  }

 private:
  std::shared_ptr<const std::vector<T>> items_;
  detail::IndexRanges left_;
};

template <class T>
struct FromSpec {
  using value_type = T;
  static constexpr const char* op_name = "from";
  std::shared_ptr<const std::vector<T>> items;

  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<FromSource<T>>(ctx, items);
  }
};

template <std::ranges::input_range R>
requires Item<std::ranges::range_value_t<R>>
[[nodiscard]] auto from(R&& range) {
  using T = std::ranges::range_value_t<R>;
  std::vector<T> items;
  if constexpr (std::is_rvalue_reference_v<R&&> &&
                std::same_as<std::remove_cvref_t<R>, std::vector<T>>) {
    items = std::move(range);
  } else {
    for (auto&& item : range) items.push_back(item);
  }
  return FromSpec<T>{std::make_shared<const std::vector<T>>(std::move(items))};
}

template <class T>
requires Item<T>
[[nodiscard]] FromSpec<T> from(std::initializer_list<T> items) {
  return FromSpec<T>{std::make_shared<const std::vector<T>>(items)};
}

}  // namespace sw
