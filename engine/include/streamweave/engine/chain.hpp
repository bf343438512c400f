// Typed chain fusion: a run of steps (map, filter, flat_map, inspect, with_watermarks) between
// a head (the batches that enter the run's first node, or a source that hands over its items
// one at a time) and a tail (the last node's output, or a stateful operator's per-item update)
// runs as one loop in which each item goes through every step in registers, the way iterator
// adapters fuse in Rust: no batch between the steps, no pass per operator.
//
// The fluent API keeps the steps in the type of the stream it returns (Stream<T, Chain>), so
// that the operator added next can offer, besides its own node's instance, one instance for
// the whole run of nodes from the chain's head up to it (a ChainCompiler on its node). The
// plan takes that offer only where the nodes form one task with nothing between them: every
// edge fused, every node under the stop or skip error policy, no other consumer of any of
// them. Everywhere else each node keeps its own instance, so retry, dead letters and fan-out
// behave as before. A compiled run still counts each node's items in and out; a failure names
// the node it happened in and the item's position in that node's input, and under skip that
// node counts and names it, and the item goes no further, as when the node runs on its own.
//
// An operator takes part by giving its step (StepKind and apply/keep/expand/see below), its
// source part (SourceHead), or a fused_item() entry on its kernel (KernelTail); stream.hpp's
// add_step and add_tail (or offer_tail) do the rest.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "streamweave/engine/node.hpp"

namespace sw {

// The chain of a stream after which nothing fuses: the next operator starts a chain of its own.
struct Unchained {};

// How a step passes items on. A step S has in_type, out_type, `static constexpr StepKind kind`
// and, by kind:
//   map:     out_type apply(X&& item)          one item out per item in
//   filter:  bool keep(const in_type& item)    the item goes on unchanged when true
//   expand:  void expand(X&& item, E& emit)    emit(out_type) any number of times
//   observe: void see(const in_type& item)     the item goes on unchanged
// where X is in_type (an item the chain owns) or const in_type& (one it shares).
// A step with state also has checkpointing(), snapshot(StateWriter&) and
// restore(StateReader&), answered for its node. A step that decides the stream's event time
// (with_watermarks) has `static constexpr bool kMakesWatermarks = true` and
// std::optional<EventTime> watermark_after_batch(): watermarks from before it go no further,
// and its own go to the tail after each batch.
enum class StepKind : std::uint8_t { map, filter, expand, observe };

namespace detail {

template <class S>
concept StatefulStep = requires(S& step, const S& held, StateWriter& out, StateReader& in) {
  { held.checkpointing() } -> std::same_as<Checkpointing>;
  step.snapshot(out);
  step.restore(in);
};

template <class S>
concept WatermarkStep = requires {
  requires S::kMakesWatermarks;
};

}  // namespace detail

// Where a chain's items come from: batches of T pushed into its first node.
template <class T>
struct BatchHead {
  using out_type = T;
};

// A source that hands its items to the chain one at a time. Spec::chain_part is its
// per-instance half: constructed from (const InstanceContext&, const Spec&), it has the
// source's checkpointing(), snapshot() and restore(), and
//   template <class Push> bool produce(std::size_t max_items, Push& push)
// which calls push(position, make) for each of at most max_items items (make() returns the
// item, position is what an error there names) and returns false once exhausted.
template <class Spec>
struct SourceHead {
  using out_type = typename Spec::value_type;
  using spec_type = Spec;
  Spec spec;
};

// A head and the steps after it, with the nodes they are (the source's first, when the head
// is one): the stream type's record of what the next operator may compile with.
template <class Head, class... Steps>
struct TypedChain {
  using head_type = Head;
  using out_type =
      typename std::tuple_element_t<sizeof...(Steps), std::tuple<Head, Steps...>>::out_type;

  Head head;
  std::tuple<Steps...> steps;
  std::vector<NodeId> nodes;

  // This chain and `step`, the node `node`.
  template <class S>
  [[nodiscard]] TypedChain<Head, Steps..., S> then(S step, NodeId node) const {
    std::vector<NodeId> more = nodes;
    more.push_back(node);
    return {head, std::tuple_cat(steps, std::tuple<S>(std::move(step))), std::move(more)};
  }
  // This chain ended by the stateful node `node` (a KernelTail).
  [[nodiscard]] TypedChain ended_by(NodeId node) const {
    TypedChain ended = *this;
    ended.nodes.push_back(node);
    return ended;
  }
};

// The chain the next step after a stream of T with chain `Chain` extends.
template <class T, class Chain>
[[nodiscard]] auto chain_to_extend(const Chain& chain) {
  if constexpr (std::is_same_v<Chain, Unchained>) {
    return TypedChain<BatchHead<T>>{};
  } else {
    return chain;
  }
}

// One instance for a compiled group of nodes, standing for its first node in the task; parts
// stand for the others.
class CompiledChainBase : public OperatorInstance {
 public:
  // The instance that stands for member k >= 1 in the task: it answers for that node's
  // checkpoint state and output ports, and has no work of its own.
  [[nodiscard]] std::unique_ptr<OperatorInstance> part(std::size_t k);

  // Where items enter the chain at member k >= 1: restored in-flight batches of a node that
  // the layout compiled behind its producer since the checkpoint.
  [[nodiscard]] virtual InputBase* entry(std::size_t k) noexcept = 0;
  virtual void bind_member_output(std::size_t k, std::size_t port, InputBase& target) = 0;
  [[nodiscard]] virtual Checkpointing member_checkpointing(std::size_t k) const noexcept = 0;
  virtual void member_snapshot(std::size_t k, StateWriter& state) = 0;
  virtual void member_restore(std::size_t k, StateReader& state) = 0;

  void bind_output(std::size_t port, InputBase& target) final {
    bind_member_output(0, port, target);
  }
  [[nodiscard]] Checkpointing checkpointing() const noexcept final {
    return member_checkpointing(0);
  }
  void snapshot(StateWriter& state) final { member_snapshot(0, state); }
  void restore(StateReader& state) final { member_restore(0, state); }
};

namespace detail {

// Member k >= 1 of a compiled group, in its task: see CompiledChainBase::part.
class CompiledPart final : public OperatorInstance {
 public:
  CompiledPart(CompiledChainBase& group, std::size_t k) noexcept : group_(&group), k_(k) {}
  InputBase* input() noexcept override { return group_->entry(k_); }
  void bind_output(std::size_t port, InputBase& target) override {
    group_->bind_member_output(k_, port, target);
  }
  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return group_->member_checkpointing(k_);
  }
  void snapshot(StateWriter& state) override { group_->member_snapshot(k_, state); }
  void restore(StateReader& state) override { group_->member_restore(k_, state); }

 private:
  CompiledChainBase* group_;
  std::size_t k_;
};

}  // namespace detail

inline std::unique_ptr<OperatorInstance> CompiledChainBase::part(std::size_t k) {
  return std::make_unique<detail::CompiledPart>(*this, k);
}

// What a node offers the plan: one instance for the nodes `nodes()` (from the chain's head
// to this node, in order) when they form one task.
class ChainCompiler {
 public:
  explicit ChainCompiler(std::vector<NodeId> nodes) : nodes_(std::move(nodes)) {}
  ChainCompiler(const ChainCompiler&) = delete;
  ChainCompiler& operator=(const ChainCompiler&) = delete;
  virtual ~ChainCompiler() = default;
  [[nodiscard]] const std::vector<NodeId>& nodes() const noexcept { return nodes_; }
  // One instance for nodes()[start], ... (the plan may compile a shorter run than it offers);
  // contexts[k] is nodes()[start + k]'s instance context. Called by the runtime as it builds
  // a run.
  [[nodiscard]] virtual std::unique_ptr<CompiledChainBase> instantiate(
      std::span<const InstanceContext> contexts, std::size_t start) const = 0;

 private:
  std::vector<NodeId> nodes_;
};

// The last step's items go to the tail node's main output, in batches.
template <class T>
class OutputTail {
 public:
  explicit OutputTail(const InstanceContext& ctx) : pool_(&make_pool<T>(ctx)) {}
  static constexpr bool kIsNode = false;  // the last step's node is the chain's last node

  template <class X>
  [[gnu::always_inline]] void push(X&& item) {
    stage_.add(std::forward<X>(item));
  }
  void end_batch(std::uint64_t /*count*/) { stage_.flush(); }
  // A whole batch goes on as it is, after what was staged before it.
  void push_batch(BatchPtr<T> batch) {
    stage_.flush();
    out_->push_items(std::move(batch));
  }
  [[nodiscard]] BatchPool<T>& pool() const noexcept { return *pool_; }
  void bind(const InstanceContext& ctx, std::size_t port, InputBase& target) {
    if (port != kMainPort) detail::throw_port_mismatch(ctx, port);
    out_ = detail::checked_input<T>(ctx, port, target);
    stage_.bind(*out_, *pool_, ctx.batch_size);
  }
  void finish() {
    stage_.flush();
    if (out_ != nullptr) out_->finish();
  }
  void watermark(EventTime time) {
    stage_.flush();
    if (out_ != nullptr) out_->watermark(time);
  }
  [[nodiscard]] Checkpointing checkpointing() const noexcept { return Checkpointing::stateless; }
  void snapshot(StateWriter& /*state*/) {}
  void restore(StateReader& /*state*/) {}
  void open() {}
  void on_idle() {}
  void on_checkpoint_complete(std::uint64_t /*id*/) {}

 private:
  BatchPool<T>* pool_;
  ItemStage<T> stage_;
  Input<T>* out_ = nullptr;
};

// A stateful operator's kernel K is the chain's last node: each item goes to K::fused_item,
// and K::end_fused_batch(count) after each batch (TransformBase provides it).
template <class K>
class KernelTail {
 public:
  explicit KernelTail(std::unique_ptr<K> kernel) : kernel_(std::move(kernel)) {}
  static constexpr bool kIsNode = true;

  template <class X>
  [[gnu::always_inline]] void push(X&& item) {
    kernel_->fused_item(std::forward<X>(item));
  }
  void end_batch(std::uint64_t count) { kernel_->end_fused_batch(count); }
  void bind(const InstanceContext& /*ctx*/, std::size_t port, InputBase& target) {
    kernel_->bind_output(port, target);
  }
  void finish() { kernel_->finish(); }
  void watermark(EventTime time) { kernel_->watermark(time); }
  [[nodiscard]] Checkpointing checkpointing() const noexcept { return kernel_->checkpointing(); }
  void snapshot(StateWriter& state) { kernel_->snapshot(state); }
  void restore(StateReader& state) { kernel_->restore(state); }
  [[nodiscard]] InputBase* input() noexcept { return kernel_->input(); }
  void open() { kernel_->open(); }
  void on_idle() { kernel_->on_idle(); }
  void on_checkpoint_complete(std::uint64_t id) { kernel_->on_checkpoint_complete(id); }

 private:
  std::unique_ptr<K> kernel_;
};

namespace detail {

// The steps and the tail of a compiled chain, and what they count. `first` is the index of
// the first step's node among the group's members (1 after a source head, else 0).
template <class Tail, class... Steps>
class ChainRunner {
 public:
  static constexpr std::size_t kSteps = sizeof...(Steps);
  static constexpr std::size_t kNone = ~std::size_t{0};
  static constexpr std::array<StepKind, kSteps> kKinds{Steps::kind...};
  // The last step that makes watermarks (kNone when none does).
  static constexpr std::size_t kClock = [] {
    constexpr std::array<bool, kSteps> makes{WatermarkStep<Steps>...};
    std::size_t last = kNone;
    for (std::size_t k = 0; k < kSteps; ++k) {
      if (makes[k]) last = k;
    }
    return last;
  }();

  ChainRunner(std::span<const InstanceContext> contexts, std::size_t first,
              std::tuple<Steps...> steps, Tail tail)
      : contexts_(contexts.begin(), contexts.end()),
        first_(first),
        steps_(std::move(steps)),
        tail_(std::move(tail)) {
    for (std::size_t k = 0; k <= kSteps; ++k) {
      const bool node = k < kSteps || Tail::kIsNode;
      const std::size_t member = k < kSteps ? first_ + k : tail_member();
      skips_[k] = node && contexts_[member].errors.kind() == ErrorPolicy::Kind::skip;
    }
  }

  // Runs one item through step K onwards. Each part's code is in a try block of its own, so
  // that the first part an exception leaves claims it (see claim()), or skips the item when
  // its node's policy is skip; on the way without one they cost nothing. No lambda stands
  // between the parts: g++ would not inline a large one.
  template <std::size_t K, class X>
  [[gnu::always_inline]] void push(X&& item) {
    try {
      if constexpr (K == kSteps) {
        tail_.push(std::forward<X>(item));
      } else {
        using S = std::tuple_element_t<K, std::tuple<Steps...>>;
        S& step = std::get<K>(steps_);
        if constexpr (S::kind == StepKind::map) {
          push<K + 1>(step.apply(std::forward<X>(item)));
        } else if constexpr (S::kind == StepKind::filter) {
          if (step.keep(std::as_const(item))) {
            ++passed_[K];
            push<K + 1>(std::forward<X>(item));
          }
        } else if constexpr (S::kind == StepKind::observe) {
          step.see(std::as_const(item));
          push<K + 1>(std::forward<X>(item));
        } else {
          auto emit = [this](typename S::out_type && out) __attribute__((always_inline)) {
            ++passed_[K];
            push<K + 1>(std::move(out));
          };
          step.expand(std::forward<X>(item), emit);
        }
      }
    } catch (const NodeError&) {
      throw;
    } catch (...) {
      if (failing_ == kNone && skips_[K]) return skip<K>();
      claim(K);
      throw;
    }
  }

  // True when every step from K on is a filter or an observer: a batch the chain shares then
  // goes on as a view of the items they keep, not as copies of them.
  template <std::size_t K>
  static constexpr bool kFiltersFrom = [] {
    for (std::size_t k = K; k < kSteps; ++k) {
      if (kKinds[k] != StepKind::filter && kKinds[k] != StepKind::observe) return false;
    }
    return K < kSteps && !Tail::kIsNode;
  }();

  // Whether every step from K on keeps `item` (kFiltersFrom<K>), counted as push counts.
  template <std::size_t K, class T>
  [[gnu::always_inline]] bool kept_from(const T& item) {
    if constexpr (K == kSteps) {
      return true;
    } else {
      try {
        auto& step = std::get<K>(steps_);
        if constexpr (kKinds[K] == StepKind::observe) {
          step.see(item);
        } else {
          if (!step.keep(item)) return false;
          ++passed_[K];
        }
      } catch (const NodeError&) {
        throw;
      } catch (...) {
        if (skips_[K]) {
          skip<K>();
          return false;
        }
        claim(K);
        throw;
      }
      return kept_from<K + 1>(item);
    }
  }

  // Before each batch (or source step) that enters at step `from`.
  void begin(std::size_t from) noexcept {
    passed_.fill(0);
    skipped_.fill(0);
    failing_ = kNone;
    from_ = from;
  }
  // The item about to enter: the `index`-th of this batch.
  [[gnu::always_inline]] void at(std::uint64_t index) noexcept { head_ = index; }
  // After the batch: `in` items entered. Counts every node's items from there on, lets the
  // tail send on what it holds, and then the watermark the batch made, if any.
  void account(std::uint64_t in) {
    account_steps(in, std::make_index_sequence<kSteps>());
    if constexpr (kClock != kNone) {
      if (from_ <= kClock) {
        if (const std::optional<EventTime> mark =
                std::get<kClock>(steps_).watermark_after_batch()) {
          tail_.watermark(*mark);
        }
      }
    }
  }

  // A watermark from before step `from`: it goes no further when a step from there on makes
  // watermarks of its own.
  void watermark(EventTime time, std::size_t from) {
    if (kClock == kNone || from > kClock) tail_.watermark(time);
  }

  // The exception in flight, from the current item (or, from a source, the item at
  // `source_position`), as the NodeError of the member it happened in.
  [[noreturn]] void fail(std::uint64_t source_position) {
    const std::exception_ptr error = std::current_exception();
    const std::size_t step = failing_ == kNone ? kSteps : failing_;
    if (step == kSourceFailed) detail::throw_node_error(contexts_[0], source_position, error);
    const std::size_t member = step == kSteps ? tail_member() : first_ + step;
    detail::throw_node_error(contexts_[member], position_at(step), error);
  }

  // Runs a source's make(): a failure there is the source's.
  template <class Make>
  [[gnu::always_inline]] decltype(auto) make_at_source(Make& make) {
    try {
      return make();
    } catch (...) {
      claim(kSourceFailed);
      throw;
    }
  }

  // Checkpoint state of step `step`'s node.
  [[nodiscard]] Checkpointing step_checkpointing(std::size_t step) const noexcept {
    Checkpointing answer = Checkpointing::stateless;
    visit_step(step, [&](const auto& s) {
      if constexpr (StatefulStep<std::remove_cvref_t<decltype(s)>>) answer = s.checkpointing();
    });
    return answer;
  }
  void step_snapshot(std::size_t step, StateWriter& state) {
    visit_step(step, [&](auto& s) {
      if constexpr (StatefulStep<std::remove_cvref_t<decltype(s)>>) s.snapshot(state);
    });
  }
  void step_restore(std::size_t step, StateReader& state) {
    visit_step(step, [&](auto& s) {
      if constexpr (StatefulStep<std::remove_cvref_t<decltype(s)>>) s.restore(state);
    });
  }

  [[nodiscard]] Tail& tail() noexcept { return tail_; }
  [[nodiscard]] const Tail& tail() const noexcept { return tail_; }
  [[nodiscard]] const InstanceContext& context(std::size_t member) const noexcept {
    return contexts_[member];
  }
  [[nodiscard]] std::size_t tail_member() const noexcept {
    return first_ + kSteps - (Tail::kIsNode ? 0 : 1);
  }
  // The member of the first step: 1 after a source head, else 0.
  [[nodiscard]] std::size_t first() const noexcept { return first_; }

 private:
  static constexpr std::size_t kSourceFailed = kNone - 1;

  // The first part (step K, the tail, the source) an exception leaves claims it; the parts
  // it passes through on the way out leave it.
  void claim(std::size_t part) noexcept {
    if (failing_ == kNone) failing_ = part;
  }

  // The current item failed in step K (the tail when K == kSteps), whose node skips it.
  template <std::size_t K>
  [[gnu::noinline, gnu::cold]] void skip() {
    const std::size_t member = K == kSteps ? tail_member() : first_ + K;
    const std::uint64_t position = position_at(K);
    if constexpr (K < kSteps) ++skipped_[K];
    detail::skip_error(contexts_[member], *contexts_[member].metrics, position,
                       detail::describe(std::current_exception()));
  }

  // The current item's position in the input of step `step`'s node (the tail's, for kSteps).
  [[nodiscard]] std::uint64_t position_at(std::size_t step) const noexcept {
    std::uint64_t at = head_;  // its index in that node's input, this batch
    for (std::size_t k = from_; k < step && k < kSteps; ++k) {
      if (kKinds[k] == StepKind::map || kKinds[k] == StepKind::observe) {
        at -= skipped_[k];
      } else {
        at = passed_[k] - 1;
      }
    }
    const std::size_t member = step >= kSteps ? tail_member() : first_ + step;
    return contexts_[member].metrics->items_in + at;
  }

  template <class Visit>
  void visit_step(std::size_t step, Visit&& visit) const {
    visit_steps(step, visit, std::make_index_sequence<kSteps>());
  }
  template <class Visit>
  void visit_step(std::size_t step, Visit&& visit) {
    visit_steps(step, visit, std::make_index_sequence<kSteps>());
  }
  template <class Visit, std::size_t... Ks>
  void visit_steps(std::size_t step, Visit& visit, std::index_sequence<Ks...> /*steps*/) const {
    ((step == Ks ? visit(std::get<Ks>(steps_)) : void()), ...);
  }
  template <class Visit, std::size_t... Ks>
  void visit_steps(std::size_t step, Visit& visit, std::index_sequence<Ks...> /*steps*/) {
    ((step == Ks ? visit(std::get<Ks>(steps_)) : void()), ...);
  }

  template <std::size_t... Ks>
  void account_steps(std::uint64_t in, std::index_sequence<Ks...> /*steps*/) {
    (
        [&] {
          if (Ks < from_) return;
          InstanceMetrics& metrics = *contexts_[first_ + Ks].metrics;
          metrics.items_in += in;
          if (kKinds[Ks] == StepKind::filter || kKinds[Ks] == StepKind::expand) {
            in = passed_[Ks];
          } else {
            in -= skipped_[Ks];
          }
          metrics.items_out += in;
        }(),
        ...);
    tail_.end_batch(in);
  }

  std::vector<InstanceContext> contexts_;
  std::size_t first_;
  std::tuple<Steps...> steps_;
  Tail tail_;
  std::array<std::uint64_t, kSteps> passed_{};
  std::array<std::uint64_t, kSteps> skipped_{};  // items each map or observer skipped
  std::array<bool, kSteps + 1> skips_{};  // whose node's policy is skip; [kSteps]: the tail's
  std::uint64_t head_ = 0;
  std::size_t from_ = 0;
  std::size_t failing_ = kNone;
};

// Items that enter a compiled chain at step K (CompiledChainBase::entry).
template <class Group, std::size_t K, class In>
class ChainEntry final : public Input<In> {
 public:
  explicit ChainEntry(Group& group) noexcept : group_(&group) {}
  void push_items(BatchPtr<In> batch) override { group_->template run_batch<K>(std::move(batch)); }
  // The chain's end of stream and watermarks come through its head.
  void finish() override {}

 private:
  Group* group_;
};

}  // namespace detail

// What every compiled chain does for the members from its first step on: run batches
// through them, and answer for the tail's state and output. The runner numbers members from
// the chain's head; a group that starts further on (the plan compiles the longest run of
// nodes that may run as one) is member `offset` of it, and the runtime's member k is the
// runner's k + offset.
template <class Tail, class... Steps>
class CompiledChain : public CompiledChainBase {
 protected:
  using Runner = detail::ChainRunner<Tail, Steps...>;

 public:
  CompiledChain(std::span<const InstanceContext> contexts, std::size_t first, std::size_t offset,
                std::tuple<Steps...> steps, Tail tail)
      : runner_(contexts, first, std::move(steps), std::move(tail)), offset_(offset) {
    add_entries(std::make_index_sequence<Runner::kSteps>());
  }

  void open() override { runner_.tail().open(); }
  void on_idle() override { runner_.tail().on_idle(); }
  void on_checkpoint_complete(std::uint64_t id) override {
    runner_.tail().on_checkpoint_complete(id);
  }

  InputBase* entry(std::size_t k) noexcept override {
    const std::size_t member = k + offset_;
    if constexpr (Tail::kIsNode) {
      if (member == runner_.tail_member()) return runner_.tail().input();
    }
    const std::size_t step = member - runner_.first();
    return member >= runner_.first() && step < entries_.size() ? entries_[step].get() : nullptr;
  }
  void bind_member_output(std::size_t k, std::size_t port, InputBase& target) override {
    const std::size_t member = k + offset_;
    if (member != runner_.tail_member()) {
      detail::throw_port_mismatch(runner_.context(member), port);
    }
    runner_.tail().bind(runner_.context(member), port, target);
  }
  [[nodiscard]] Checkpointing member_checkpointing(std::size_t k) const noexcept override {
    if (is_tail(k)) return runner_.tail().checkpointing();
    return runner_.step_checkpointing(k + offset_ - runner_.first());
  }
  void member_snapshot(std::size_t k, StateWriter& state) override {
    if (is_tail(k)) {
      runner_.tail().snapshot(state);
    } else {
      runner_.step_snapshot(k + offset_ - runner_.first(), state);
    }
  }
  void member_restore(std::size_t k, StateReader& state) override {
    if (is_tail(k)) {
      runner_.tail().restore(state);
    } else {
      runner_.step_restore(k + offset_ - runner_.first(), state);
    }
  }

  // Runs a batch of step K's input through the chain from step K.
  template <std::size_t K, class T>
  void run_batch(BatchPtr<T> batch) {
    if constexpr (Runner::template kFiltersFrom<K>) {
      if (!batch->owned()) {
        select<K>(std::move(batch));
        return;
      }
    }
    runner_.begin(K);
    const std::size_t n = batch->size();
    try {
      if (batch->owned()) {
        auto& items = batch->items;
        for (std::size_t i = 0; i < n; ++i) {
          runner_.at(i);
          runner_.template push<K>(std::move(items[i]));
        }
      } else {
        batch->read([&](const auto& items) {
          for (std::size_t i = 0; i < n; ++i) {
            runner_.at(i);
            runner_.template push<K>(items[i]);
          }
        });
      }
    } catch (const NodeError&) {
      throw;
    } catch (...) {
      runner_.fail(0);
    }
    batch.reset();  // its storage returns before the output goes on
    runner_.account(n);
  }

 protected:
  // The items of a shared batch that the filters from step K on keep, as a view of it.
  template <std::size_t K, class T>
  void select(BatchPtr<T> batch) {
    runner_.begin(K);
    const std::size_t n = batch->size();
    BatchPtr<T> view = runner_.tail().pool().acquire(0);
    auto& selection = view->selection;
    selection.reserve(n);
    const BatchPtr<T>& from = batch->is_view() ? batch->viewed : batch;
    const auto& items = from->items;
    try {
      for (std::size_t i = 0; i < n; ++i) {
        const auto at = batch->is_view() ? batch->selection[i] : static_cast<std::uint32_t>(i);
        runner_.at(i);
        if (runner_.template kept_from<K>(items[at])) selection.push_back(at);
      }
    } catch (const NodeError&) {
      throw;
    } catch (...) {
      runner_.fail(0);
    }
    if (selection.size() == n) {
      runner_.tail().push_batch(std::move(batch));
    } else if (!selection.empty()) {
      view->viewed = from;
      batch.reset();
      runner_.tail().push_batch(std::move(view));
    }
    runner_.account(n);
  }

  [[nodiscard]] bool is_tail(std::size_t k) const noexcept {
    return Tail::kIsNode && k + offset_ == runner_.tail_member();
  }

  Runner runner_;

 private:
  template <std::size_t... Ks>
  void add_entries(std::index_sequence<Ks...> /*steps*/) {
    (entries_.push_back(
         std::make_unique<detail::ChainEntry<
             CompiledChain, Ks, typename std::tuple_element_t<Ks, std::tuple<Steps...>>::in_type>>(
             *this)),
     ...);
  }

  std::size_t offset_;
  std::vector<std::unique_ptr<InputBase>> entries_;
};

// A compiled chain whose items come in batches of In into step K: the chain of a BatchHead
// (K = 0), or the part of any chain from step K on.
template <std::size_t K, class In, class Tail, class... Steps>
class CompiledTransformChain final : public CompiledChain<Tail, Steps...>, public Input<In> {
 public:
  CompiledTransformChain(std::span<const InstanceContext> contexts, std::size_t first,
                         std::tuple<Steps...> steps, Tail tail)
      : CompiledChain<Tail, Steps...>(contexts, first, first + K, std::move(steps),
                                      std::move(tail)) {}

  InputBase* input() noexcept override { return this; }
  void push_items(BatchPtr<In> batch) override { this->template run_batch<K>(std::move(batch)); }
  void finish() override { this->runner_.tail().finish(); }
  void watermark(EventTime time) override { this->runner_.watermark(time, K); }
};

// The compiled chain of a SourceHead: member 0 is the source, whose part makes the items that
// go through the steps.
template <class Part, class Tail, class... Steps>
class CompiledSourceChain final : public CompiledChain<Tail, Steps...> {
  using Base = CompiledChain<Tail, Steps...>;

 public:
  template <class Spec>
  CompiledSourceChain(std::span<const InstanceContext> contexts, const Spec& spec,
                      std::tuple<Steps...> steps, Tail tail)
      : Base(contexts, 1, 0, std::move(steps), std::move(tail)), part_(contexts[0], spec) {}

  bool produce(std::size_t max_items) override {
    this->runner_.begin(0);
    std::uint64_t made = 0;
    auto push =
        [ this, &made ](std::uint64_t position, auto&& make) __attribute__((always_inline)) {
      this->runner_.at(made++);
      try {
        this->runner_.template push<0>(this->runner_.make_at_source(make));
      } catch (const NodeError&) {
        throw;
      } catch (...) {
        this->runner_.fail(position);
      }
    };
    const bool more = part_.produce(max_items, push);
    this->runner_.context(0).metrics->items_out += made;
    this->runner_.account(made);
    return more;
  }
  void close() override { this->runner_.tail().finish(); }

  [[nodiscard]] Checkpointing member_checkpointing(std::size_t k) const noexcept override {
    return k == 0 ? part_.checkpointing() : Base::member_checkpointing(k);
  }
  void member_snapshot(std::size_t k, StateWriter& state) override {
    if (k == 0) {
      part_.snapshot(state);
    } else {
      Base::member_snapshot(k, state);
    }
  }
  void member_restore(std::size_t k, StateReader& state) override {
    if (k == 0) {
      part_.restore(state);
    } else {
      Base::member_restore(k, state);
    }
  }

 private:
  Part part_;
};

// The compiler a node offers for `chain` (its steps and head) ending in `make_tail(context of
// the last member)`.
template <class Chain, class MakeTail>
class TypedChainCompiler;

template <class Head, class... Steps, class MakeTail>
class TypedChainCompiler<TypedChain<Head, Steps...>, MakeTail> final : public ChainCompiler {
  static constexpr bool kFromSource = requires { typename Head::spec_type; };
  static constexpr std::size_t kFirst = kFromSource ? 1 : 0;

 public:
  TypedChainCompiler(std::vector<NodeId> nodes, TypedChain<Head, Steps...> chain,
                     MakeTail make_tail)
      : ChainCompiler(std::move(nodes)),
        chain_(std::move(chain)),
        make_tail_(std::move(make_tail)) {}

  [[nodiscard]] std::unique_ptr<CompiledChainBase> instantiate(
      std::span<const InstanceContext> contexts, std::size_t start) const override {
    // The runner numbers members from the chain's head: those before `start` take no part.
    std::vector<InstanceContext> all(start, contexts.front());
    all.insert(all.end(), contexts.begin(), contexts.end());
    auto tail = make_tail_(all.back());
    if constexpr (kFromSource) {
      if (start == 0) {
        return std::make_unique<
            CompiledSourceChain<typename Head::spec_type::chain_part, decltype(tail), Steps...>>(
            all, chain_.head.spec, chain_.steps, std::move(tail));
      }
    }
    return from_step(all, start - kFirst, std::move(tail),
                     std::make_index_sequence<sizeof...(Steps)>());
  }

 private:
  template <class Tail, std::size_t... Ks>
  std::unique_ptr<CompiledChainBase> from_step(
      [[maybe_unused]] std::span<const InstanceContext> all, [[maybe_unused]] std::size_t step,
      Tail tail, std::index_sequence<Ks...> /*steps*/) const {
    std::unique_ptr<CompiledChainBase> made;
    ((step == Ks ? (made = std::make_unique<CompiledTransformChain<
                        Ks, typename std::tuple_element_t<Ks, std::tuple<Steps...>>::in_type, Tail,
                        Steps...>>(all, kFirst, chain_.steps, std::move(tail)),
                    0)
                 : 0),
     ...);
    return made;
  }

  TypedChain<Head, Steps...> chain_;
  MakeTail make_tail_;
};

}  // namespace sw
