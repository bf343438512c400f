// WriterSink: the base of the sinks that hand their items to a writer for an external system
// (Redis, PostgreSQL), which holds them per checkpoint and commits them when it completes. It
// passes the instance's end, checkpoints and completions on to the writer, each failure
// naming the node and how many items it had taken.
#pragma once

#include <cstdint>
#include <utility>

#include "streamweave/engine/instance.hpp"

namespace sw::detail {

// Writer: constructed from (ctx, args...); open() (reaches the server: one that is not there
// fails the run at its start), finish(), snapshot(StateWriter&),
// restore(StateReader&), on_checkpoint_complete(id). The sink's task calls them all.
template <class T, class Writer>
class WriterSink : public SinkBase<T> {
 public:
  template <class... Args>
  explicit WriterSink(const InstanceContext& ctx, Args&&... args)
      : SinkBase<T>(ctx), writer_(ctx, std::forward<Args>(args)...) {}
  void open() override {
    guarded([this] { writer_.open(); });
  }
  void finish() override {
    guarded([this] { writer_.finish(); });
  }
  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return Checkpointing::saves_state;
  }
  void snapshot(StateWriter& state) override {
    guarded([&] { writer_.snapshot(state); });
  }
  void restore(StateReader& state) override { writer_.restore(state); }
  void on_checkpoint_complete(std::uint64_t id) override {
    guarded([&] { writer_.on_checkpoint_complete(id); });
  }

 protected:
  // Runs `f`; what it throws fails the node at the items taken so far.
  template <class F>
  void guarded(F&& f) {
    failing_at(
        this->ctx_, [this] { return this->metrics_.items_in; }, f);
  }
  Writer writer_;
};

}  // namespace sw::detail
