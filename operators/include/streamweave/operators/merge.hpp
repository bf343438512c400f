// merge: the items of several streams of one type as one stream (fan-in), in no order
// between inputs. Whole batches pass through by reference; nothing is copied.
// Options: NodeOptions (via Stream::merge_as).
#pragma once

#include <utility>

#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/node_types.hpp"

namespace sw {

template <class T>
class Kernel<op::merge, T> final : public TransformBase<T, T> {
 public:
  explicit Kernel(const InstanceContext& ctx) : TransformBase<T, T>(ctx) {}

  void push(T&& item) override {
    ++this->metrics_.items_in;
    this->emit(std::move(item));
  }
  void push_ref(const T& item) override {
    ++this->metrics_.items_in;
    this->emit_ref(item);
  }
  void push_items(BatchPtr<T> batch) override {
    this->metrics_.items_in += batch->size();
    this->metrics_.items_out += batch->size();
    this->out_->push_items(std::move(batch));
  }
};

}  // namespace sw
