// collect(out): appends every item to the std::vector `out`. Each instance gathers its items
// locally and appends them under a lock at end of stream, so `out` is complete when run()
// returns; read it only then. With parallelism 1 the order is the stream's order.
// Options: NodeOptions.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "streamweave/engine/instance.hpp"

namespace sw {

template <class T>
class CollectSink final : public SinkBase<T> {
 public:
  CollectSink(const InstanceContext& ctx, std::vector<T>* out, std::shared_ptr<std::mutex> mutex)
      : SinkBase<T>(ctx), out_(out), mutex_(std::move(mutex)) {}

  void push_items(BatchPtr<T> batch) override {
    this->metrics_.items_in += batch->size();
    if (batch->owned()) {
      local_.insert(local_.end(), std::make_move_iterator(batch->items.begin()),
                    std::make_move_iterator(batch->items.end()));
      return;
    }
    batch->read([this](const auto& items) {
      for (std::size_t i = 0; i < items.size(); ++i) local_.push_back(items[i]);
    });
  }
  void finish() override {
    std::lock_guard lock(*mutex_);
    if (out_->empty()) {
      *out_ = std::move(local_);
    } else {
      out_->insert(out_->end(), std::make_move_iterator(local_.begin()),
                   std::make_move_iterator(local_.end()));
    }
    local_.clear();
  }

 private:
  std::vector<T>* out_;
  std::shared_ptr<std::mutex> mutex_;
  std::vector<T> local_;
};

template <class T>
struct CollectSpec {
  static constexpr const char* op_name = "collect";
  std::vector<T>* out;
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();

  template <class U>
  requires std::same_as<U, T>
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<CollectSink<T>>(ctx, out, mutex);
  }
};

template <class T>
[[nodiscard]] CollectSpec<T> collect(std::vector<T>& out) {
  return CollectSpec<T>{&out};
}

}  // namespace sw
