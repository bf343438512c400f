// count(total): adds the number of items to `total` at end of stream (each instance adds
// its own count under a lock). Works for a stream of any item type; copies nothing.
// Options: NodeOptions.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "streamweave/engine/instance.hpp"

namespace sw {

template <class T>
class CountSink final : public SinkBase<T> {
 public:
  CountSink(const InstanceContext& ctx, std::uint64_t* total, std::shared_ptr<std::mutex> mutex)
      : SinkBase<T>(ctx), total_(total), mutex_(std::move(mutex)) {}

  void push_items(BatchPtr<T> batch) override {
    this->metrics_.items_in += batch->size();
    counted_ += batch->size();
  }
  void finish() override {
    std::lock_guard lock(*mutex_);
    *total_ += counted_;
  }

  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return Checkpointing::saves_state;
  }
  void snapshot(StateWriter& state) override { state.value(counted_); }
  void restore(StateReader& state) override {
    if (state.same_layout()) {
      counted_ = decode<std::uint64_t>(state.values());
      return;
    }
    // Counts are summed at the end whatever the instance: with another parallelism,
    // instance 0 takes them all.
    if (this->ctx_.instance != 0) return;
    for (const Bytes& saved : state.all_values()) counted_ += decode<std::uint64_t>(saved);
  }

 private:
  std::uint64_t* total_;
  std::uint64_t counted_ = 0;
  std::shared_ptr<std::mutex> mutex_;
};

struct CountSpec {
  static constexpr const char* op_name = "count";
  std::uint64_t* total;
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();

  template <class T>
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<CountSink<T>>(ctx, total, mutex);
  }
};

[[nodiscard]] inline CountSpec count(std::uint64_t& total) {
  return CountSpec{&total};
}

}  // namespace sw
