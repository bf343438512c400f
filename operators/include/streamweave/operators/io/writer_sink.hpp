// WriterSink: the base of the sinks that hand their items to a writer for an external system
// (Redis, PostgreSQL, TCP). It passes the instance's open, end, checkpoints and completions on
// to the writer (the Redis and PostgreSQL writers hold items per checkpoint and commit them
// when it completes), each failure naming the node and how many items it had taken.
// TextWriterSink: the same for items written as text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "streamweave/engine/instance.hpp"
#include "streamweave/operators/write_lines.hpp"

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

// A WriterSink of text (Redis entries, TCP frames): each item, as write_lines would write it,
// goes to writer.add(std::string_view); writer.end_of_batch() after each batch, and
// writer.on_idle() when the input runs dry, if the writer has one.
template <TextLike T, class Writer>
class TextWriterSink final : public WriterSink<T, Writer> {
 public:
  using WriterSink<T, Writer>::WriterSink;
  void push_items(BatchPtr<T> batch) override {
    this->consume_each(*batch, [this](const T& item) {
      if constexpr (std::is_convertible_v<const T&, std::string_view>) {
        this->writer_.add(std::string_view(item));
      } else {
        text_.clear();
        append_text(text_, item);
        this->writer_.add(text_);
      }
    });
    this->guarded([this] { this->writer_.end_of_batch(); });
  }
  void on_idle() override {
    if constexpr (requires(Writer & w) { w.on_idle(); }) {
      this->guarded([this] { this->writer_.on_idle(); });
    }
  }

 private:
  std::string text_;
};

}  // namespace sw::detail
