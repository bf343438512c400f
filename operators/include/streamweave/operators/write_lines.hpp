// write_lines(path): a sink that writes each item as a line of a text file: strings, Str,
// Symbols (anything with a string view), and numbers. "-" writes standard output. The file
// is written under a temporary name and renamed into place when the stream ends, so a
// failed or cancelled run leaves no partial file. One file, so one instance: the sink's
// parallelism is 1 (the engine gathers its input), and another setting is an error.
// Line order: the order items arrive in (one upstream instance keeps its order).
// Options: NodeOptions (retry applies to a failed write; skip drops the item).
#pragma once

#include <charconv>
#include <concepts>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "streamweave/engine/errors.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/operators/io/file_writer.hpp"

namespace sw {

// Items write_lines can write.
template <class T>
concept TextLike = std::convertible_to<const T&, std::string_view> || requires(const T& t) {
  { t.view() } -> std::convertible_to<std::string_view>;
} || std::is_arithmetic_v<T>;

namespace detail {

template <TextLike T>
void append_text(std::string& out, const T& item) {
  if constexpr (std::convertible_to<const T&, std::string_view>) {
    out.append(std::string_view(item));
  } else if constexpr (requires { item.view(); }) {
    out.append(item.view());
  } else if constexpr (std::is_same_v<T, bool>) {
    out.append(item ? "true" : "false");
  } else {
    char text[64];
    const auto end = std::to_chars(text, text + sizeof text, item).ptr;
    out.append(text, end);
  }
}

// Throws GraphError unless a file sink has one instance.
void require_one_instance(const InstanceContext& ctx);

// How far a file sink got, as a checkpoint keeps it.
struct FileSinkProgress {
  bool opened = false;
  std::uint64_t committed_bytes = 0;
  bool finished = false;  // end of stream reached: the file is renamed into place next
};

// Base of the file sinks: a FileWriter opened on the first item (or at the end), so that an
// unwritable path fails the node, named, while the graph runs; committed at end of stream,
// or, when the run takes checkpoints, by the first checkpoint that completes after it (the
// bytes before each checkpoint are made durable as it passes; a restored run cuts the file
// back to them: exactly once into a regular file, at least once into stdout or a pipe).
template <class T>
class FileSinkBase : public SinkBase<T> {
 public:
  FileSinkBase(const InstanceContext& ctx, std::string path)
      : SinkBase<T>(ctx), path_(std::move(path)) {
    require_one_instance(ctx);
  }

  void push_items(BatchPtr<T> batch) final {
    this->consume_each(*batch, [this](const T& x) {
      FileWriter& w = writer();
      write(w.buffer(), x);
      w.flush_if_full();
    });
  }
  void finish() final {
    if (committed_) return;  // restored after its output was committed: nothing left to do
    guarded([this] {
      FileWriter& w = writer();
      progress_.finished = true;
      if (!this->ctx_.checkpointed) w.commit();
    });
  }

  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return Checkpointing::saves_state;
  }
  void snapshot(StateWriter& state) override {
    guarded([&] {
      if (writer_) progress_.committed_bytes = writer_->sync();
      progress_.opened = writer_.has_value() || progress_.opened;
      state.value(progress_);
    });
  }
  void restore(StateReader& state) override {
    BinaryReader(state.values()).read(progress_);
    committed_ = progress_.finished && FileWriter::committed_at(path_, progress_.committed_bytes);
    if (progress_.opened && !committed_) {
      writer_.emplace(path_, FileWriter::Recovery{progress_.committed_bytes});
    }
  }
  void on_checkpoint_complete(std::uint64_t /*id*/) override {
    if (!progress_.finished || committed_) return;
    guarded([this] { writer().commit(); });
    committed_ = true;
  }

 protected:
  // Appends the item's text, its line end included.
  virtual void write(std::string& out, const T& item) = 0;
  // Called once, when the file is opened: a header, say.
  virtual void on_open(std::string& /*out*/) {}

 private:
  FileWriter& writer() {
    if (!writer_) {
      std::optional<FileWriter::Recovery> recovery;
      if (this->ctx_.checkpointed) recovery.emplace();
      writer_.emplace(path_, recovery);
      on_open(writer_->buffer());
    }
    return *writer_;
  }
  // Runs `f`; a failure is the node's, at the items taken so far.
  template <class F>
  void guarded(F&& f) {
    detail::failing_at(
        this->ctx_, [this] { return this->metrics_.items_in; }, f);
  }

  std::string path_;
  std::optional<FileWriter> writer_;
  FileSinkProgress progress_;
  bool committed_ = false;
};

template <TextLike T>
class WriteLinesSink final : public FileSinkBase<T> {
 public:
  using FileSinkBase<T>::FileSinkBase;

 private:
  void write(std::string& out, const T& item) override {
    append_text(out, item);
    out.push_back('\n');
  }
};

}  // namespace detail

struct WriteLinesSpec {
  static constexpr const char* op_name = "write_lines";
  static constexpr unsigned kDefaultParallelism = 1;
  std::string path;

  template <TextLike T>
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<detail::WriteLinesSink<T>>(ctx, path);
  }
};

[[nodiscard]] inline WriteLinesSpec write_lines(std::string path) {
  return {std::move(path)};
}

}  // namespace sw
