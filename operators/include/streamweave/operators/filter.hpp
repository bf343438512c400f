// filter: keeps the items for which pred(item) is true. Options: NodeOptions. A batch this
// node holds alone is compacted in place; of a shared batch, the items kept go on as a view
// (their positions in it): filter never copies an item.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "streamweave/engine/chain.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/stream.hpp"

namespace sw {

// f(const item&) -> bool: keep the item when true.
template <class F, class T>
concept FilterPredicate = Item<T> && std::predicate<F&, const T&>;

template <class T, class F>
struct FilterStep;

template <class T, class F>
class FilterKernel final : public TransformBase<T, T> {
 public:
  FilterKernel(const InstanceContext& ctx, FilterStep<T, F> step)
      : TransformBase<T, T>(ctx), pred_(std::move(step.pred)) {}

  // A batch this node owns is compacted in place. Of a batch it shares (or a view), the items
  // kept go on as a view of it: positions, not copies. A batch kept whole goes on as it is.
  void on_batch(BatchPtr<T>&& batch) override {
    if (batch->owned()) {
      compact(std::move(batch));
      return;
    }
    const std::size_t n = batch->size();
    if (n == 1) {  // as the item-wise error policies pass them: kept whole or not at all
      bool kept = false;
      batch->read([&](const auto& items) {
        this->batch_for(1, [&](std::size_t) { kept = std::invoke(pred_, items[0]); });
      });
      if (kept) this->emit_batch(std::move(batch));
      return;
    }
    BatchPtr<T> view = this->out_pool().acquire(0);
    auto& selection = view->selection;
    selection.reserve(n);
    if (batch->is_view()) {
      const auto& positions = batch->selection;
      const auto& items = batch->viewed->items;
      this->batch_for(n, [&](std::size_t i) {
        if (std::invoke(pred_, items[positions[i]])) selection.push_back(positions[i]);
      });
    } else {
      const auto& items = batch->items;
      this->batch_for(n, [&](std::size_t i) {
        if (std::invoke(pred_, items[i])) selection.push_back(static_cast<std::uint32_t>(i));
      });
    }
    if (selection.size() == n) {
      this->emit_batch(std::move(batch));
    } else if (!selection.empty()) {
      view->viewed = batch->is_view() ? batch->viewed : std::move(batch);
      this->emit_batch(std::move(view));
    }
  }

 private:
  void compact(BatchPtr<T>&& batch) {
    auto& items = batch->items;
    const std::size_t n = items.size();
    std::size_t kept = 0;
    this->batch_for(n, [&](std::size_t i) {
      if (std::invoke(pred_, std::as_const(items[i]))) {
        if (kept != i) items[kept] = std::move(items[i]);
        ++kept;
      }
    });
    items.erase(items.begin() + static_cast<std::ptrdiff_t>(kept), items.end());
    if (!items.empty()) this->emit_batch(std::move(batch));
  }

  F pred_;
};

// filter as a step of a compiled chain (engine/chain.hpp): no compaction, an item that is
// not kept goes no further.
template <class T, class F>
struct FilterStep {
  using in_type = T;
  using out_type = T;
  static constexpr StepKind kind = StepKind::filter;

  [[gnu::always_inline]] bool keep(const T& item) { return std::invoke(pred, item); }

  F pred;
};

template <class Self, class T>
class FilterMethods : public StreamMixin<Self, FilterMethods<Self, T>> {
 public:
  // Keeps the items for which pred(item) is true.
  template <class F>
  requires FilterPredicate<F, T>
  auto filter(std::string name, F pred, NodeOptions options = {}) const {
    return this->self().template add_step<T, FilterKernel<T, F>>(std::move(name), "filter", options,
                                                                 FilterStep<T, F>{std::move(pred)});
  }
};

}  // namespace sw
