// aggregate / reduce on a KeyedStream: running state per key.
//   keyed.aggregate(name, init, fold, {.emit = ...})   acc = fold(acc, item), or fold(acc&, item)
//   keyed.reduce(name, fold, ...)                       init = Acc{}, Acc = fold's first parameter
// Emits KeyValue{key, acc}: after every item (Emit::every_update, default) or once per key at
// end of stream (Emit::at_end). State lives in the instance that owns the key.
// If fold throws, the key's state is left as it was before the item.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <functional>
#include <utility>
#include <vector>

#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/key_value.hpp"
#include "streamweave/engine/node_types.hpp"

namespace sw {

template <class T, class KeyFn, class Acc, class G>
class Kernel<op::aggregate, T, KeyFn, Acc, G> final
    : public TransformBase<T, KeyValue<key_result_t<KeyFn, T>, Acc>> {
  using Key = key_result_t<KeyFn, T>;
  using Out = KeyValue<Key, Acc>;

 public:
  Kernel(const InstanceContext& ctx, KeyFn key, Acc init, G fold, Emit emit)
      : TransformBase<T, Out>(ctx),
        key_(std::move(key)),
        init_(std::move(init)),
        fold_(std::move(fold)),
        emit_(emit) {}

  void push(T&& item) override { push_ref(item); }
  void push_items(BatchPtr<T> batch) override {
    if (this->went_item_by_item(batch)) return;
    const auto& items = batch->items;
    const std::size_t n = items.size();
    this->batch_for(n, [&](std::size_t i) { update(items[i]); });
  }
  void push_ref(const T& item) override {
    this->guarded(item, [this](const T& x) { update(x); });
  }

  // Keys held by this instance (state size).
  [[nodiscard]] std::size_t keys() const noexcept { return state_.size(); }

 protected:
  void on_finish() override {
    if (emit_ != Emit::at_end) return;
    for (auto& [key, acc] : state_) this->emit(Out{key, std::move(acc)});
    state_.clear();
  }

 private:
  // Inlined into the batch loop: out of line, the call per item was a tenth of pipeline P's
  // instructions per event (callgrind).
  [[gnu::always_inline]] void update(const T& item) {
    auto [it, inserted] = state_.try_emplace(std::invoke(key_, item), init_);
    try {
      if constexpr (std::is_invocable_v<G&, Acc&, const T&> &&
                    std::is_void_v<std::invoke_result_t<G&, Acc&, const T&>>) {
        std::invoke(fold_, it->second, item);
      } else {
        it->second = std::invoke(fold_, std::as_const(it->second), item);
      }
    } catch (...) {
      if (inserted) state_.erase(it);
      throw;
    }
    if (emit_ == Emit::every_update) this->emit_ref(Out{it->first, it->second});
  }

  KeyFn key_;
  Acc init_;
  G fold_;
  Emit emit_;
  boost::unordered_flat_map<Key, Acc, std::hash<Key>> state_;
};

}  // namespace sw
