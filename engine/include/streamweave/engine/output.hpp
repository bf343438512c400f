// The end of a fused chain: an OutputCollector<T> gathers the items a task emits on one
// port into pooled batches and hands full batches to the runtime's BatchSenders, one per
// outgoing edge. Fan-out shares one batch between all batch-level edges (forward,
// rebalance, broadcast, gather); a hash edge keeps one batch per consumer instance.
//
// A collector belongs to one task and is called only from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "streamweave/engine/batch.hpp"
#include "streamweave/engine/input.hpp"
#include "streamweave/engine/instance.hpp"
#include "streamweave/engine/options.hpp"
#include "streamweave/engine/partitioning.hpp"

namespace sw {

// Implemented by the runtime: the channels of one edge, seen from one producer instance.
// send() never blocks: the task checks for room before it starts a step, so a step may
// overshoot a channel's capacity by what one step emits.
class BatchSender {
 public:
  virtual ~BatchSender() = default;
  [[nodiscard]] virtual std::size_t targets() const noexcept = 0;
  virtual void send(std::size_t target, BatchRef batch) = 0;
  virtual void send_end(std::size_t target) = 0;
  virtual void send_watermark(std::size_t target, EventTime time) = 0;
  // Checkpoint barrier `checkpoint`: after everything sent to `target` before it.
  virtual void send_barrier(std::size_t target, std::uint64_t checkpoint) = 0;
};

struct EdgeBinding {
  Partitioning partitioning = Partitioning::forward;
  BatchSender* sender = nullptr;
  const KeyRouterBase* router = nullptr;  // hash edges only
};

struct CollectorConfig {
  std::size_t batch_size = 1024;
  unsigned instance = 0;  // the producer instance; forward edges send to the same index
  InstanceMetrics* metrics = nullptr;
};

// The type-erased face of a collector, for the runtime.
class CollectorBase {
 public:
  virtual ~CollectorBase() = default;
  [[nodiscard]] virtual InputBase& input() noexcept = 0;
  // Sends every partially filled batch now (linger expired, or end of a burst).
  virtual void flush() = 0;
  // When the oldest item still waiting in a partial batch arrived; empty if none waits.
  [[nodiscard]] virtual const std::optional<Clock::time_point>& oldest_pending() const noexcept = 0;
  // Sends what waits in partial batches, then checkpoint barrier `checkpoint` to every consumer
  // instance that hears this producer's end-of-stream.
  virtual void barrier(std::uint64_t checkpoint) = 0;
};

template <class T>
class OutputCollector final : public Input<T>, public CollectorBase {
 public:
  OutputCollector(BatchPool<T>& pool, CollectorConfig config, std::vector<EdgeBinding> edges)
      : pool_(&pool), config_(config) {
    for (const EdgeBinding& edge : edges) {
      if (edge.partitioning == Partitioning::hash) {
        HashEdge hash{edge.sender, static_cast<const KeyRouter<T>*>(edge.router), {}};
        hash.pending.resize(edge.sender->targets());
        hash_edges_.push_back(std::move(hash));
      } else {
        batch_edges_.push_back(edge);
      }
    }
    rebalance_next_.assign(batch_edges_.size(), config.instance);
  }

  // A whole batch from upstream: passed on as it is when nothing is pending (zero-copy
  // relays cost one reference per batch), otherwise appended or scattered in bulk. Items are
  // moved out when this is the batch's last holder and no other edge still needs them.
  void push_items(BatchPtr<T> batch) override {
    if (batch->size() == 0) return;
    if (!batch_edges_.empty()) {
      if (!shared_ && batch->size() * 2 >= config_.batch_size) {
        if (hash_edges_.empty()) {
          send_shared(std::move(batch));
          return;
        }
        send_shared(batch);  // our reference stays: the hash edges below copy from it
      } else {
        append_shared_bulk(*batch, hash_edges_.empty() && batch->owned());
      }
    }
    for (std::size_t e = 0; e < hash_edges_.size(); ++e) {
      const bool last = e + 1 == hash_edges_.size();
      scatter(hash_edges_[e], *batch, last && batch->owned());
    }
  }

  void finish() override {
    flush();
    to_every_consumer([](BatchSender& sender, std::size_t target) { sender.send_end(target); });
  }

  // The items before the watermark go first (partial batches are sent), then the watermark
  // to every consumer instance that hears this producer's end-of-stream.
  void watermark(EventTime time) override {
    flush();
    to_every_consumer(
        [time](BatchSender& sender, std::size_t target) { sender.send_watermark(target, time); });
  }

  void barrier(std::uint64_t checkpoint) override {
    flush();
    to_every_consumer([checkpoint](BatchSender& sender, std::size_t target) {
      sender.send_barrier(target, checkpoint);
    });
  }

  InputBase& input() noexcept override { return *this; }

  void flush() override {
    if (shared_) send_shared(std::exchange(shared_, nullptr));
    for (HashEdge& edge : hash_edges_) {
      for (std::size_t target = 0; target < edge.pending.size(); ++target) {
        if (edge.pending[target]) send_one(edge.sender, target, std::move(edge.pending[target]));
      }
    }
    oldest_.reset();
  }

  [[nodiscard]] const std::optional<Clock::time_point>& oldest_pending() const noexcept override {
    return oldest_;
  }

 private:
  struct HashEdge {
    BatchSender* sender;
    const KeyRouter<T>* router;
    std::vector<BatchPtr<T>> pending;
  };

  BatchPtr<T> fresh_batch() {
    if (!oldest_) oldest_ = Clock::now();
    return pool_->acquire(config_.batch_size);
  }

  // Moves or copies `item` into the shared batch (as Item is an rvalue or a const lvalue).
  template <class Item>
  void append_shared(Item&& item) {
    if (!shared_) shared_ = fresh_batch();
    shared_->items.push_back(std::forward<Item>(item));
    if (shared_->items.size() >= config_.batch_size) send_shared(std::exchange(shared_, nullptr));
  }

  void append_shared_bulk(Batch<T>& from, bool move) {
    if (move) {
      for (T& item : from.items) append_shared(std::move(item));
      return;
    }
    from.read([this](const auto& items) {
      for (std::size_t i = 0; i < items.size(); ++i) append_shared(items[i]);
    });
  }

  // Moves or copies `item` into the pending batch of `target` on a hash edge.
  template <class Item>
  void append_routed(HashEdge& edge, std::size_t target, Item&& item) {
    BatchPtr<T>& batch = edge.pending[target];
    if (!batch) batch = fresh_batch();
    batch->items.push_back(std::forward<Item>(item));
    if (batch->items.size() >= config_.batch_size) send_one(edge.sender, target, std::move(batch));
  }

  void scatter(HashEdge& edge, Batch<T>& from, bool move) {
    if (from.is_view()) {
      scatter_view(edge, from);
      return;
    }
    const std::size_t n = from.items.size();
    if (targets_.size() < n) targets_.resize(n);
    edge.router->route(from.items.data(), n, edge.pending.size(), targets_.data());
    for (std::size_t i = 0; i < n; ++i) {
      if (move) {
        append_routed(edge, targets_[i], std::move(from.items[i]));
      } else {
        append_routed(edge, targets_[i], std::as_const(from.items[i]));
      }
    }
  }

  // Out of line, so that scatter's loop over a batch stays small enough to be inlined whole.
  [[gnu::noinline]] void scatter_view(HashEdge& edge, const Batch<T>& view) {
    view.read([&](const auto& items) {
      for (std::size_t i = 0; i < items.size(); ++i) append_hashed(edge, items[i]);
    });
  }

  template <class Item>
  void append_hashed(HashEdge& edge, Item&& item) {
    const std::size_t target = edge.router->route(item, edge.pending.size());
    append_routed(edge, target, std::forward<Item>(item));
  }

  void send_shared(BatchPtr<T> batch) {
    for (std::size_t i = 0; i < batch_edges_.size(); ++i) {
      const EdgeBinding& edge = batch_edges_[i];
      const bool last_edge = i + 1 == batch_edges_.size();
      if (edge.partitioning == Partitioning::broadcast) {
        const std::size_t targets = edge.sender->targets();
        for (std::size_t target = 0; target + 1 < targets; ++target) {
          send_one(edge.sender, target, batch);
        }
        if (last_edge) {
          send_one(edge.sender, targets - 1, std::move(batch));
        } else {
          send_one(edge.sender, targets - 1, batch);
        }
        continue;
      }
      std::size_t target = config_.instance;
      if (edge.partitioning == Partitioning::rebalance) {
        target = rebalance_next_[i]++ % edge.sender->targets();
      } else if (edge.partitioning == Partitioning::gather) {
        target = 0;
      }
      // The last edge takes our reference; the others share the same batch.
      if (last_edge) {
        send_one(edge.sender, target, std::move(batch));
      } else {
        send_one(edge.sender, target, batch);
      }
    }
  }

  void send_one(BatchSender* sender, std::size_t target, BatchPtr<T> batch) {
    ++config_.metrics->batches_out;
    sender->send(target, BatchRef(batch.detach(), false));
  }

  // Calls send(sender, target) for every consumer instance of every edge that hears this
  // producer: on a forward edge the one of the same index, on the others all of them.
  template <class Send>
  void to_every_consumer(Send&& send) {
    auto all = [&](BatchSender* sender, Partitioning partitioning) {
      if (partitioning == Partitioning::forward) {
        send(*sender, config_.instance);
        return;
      }
      for (std::size_t target = 0; target < sender->targets(); ++target) send(*sender, target);
    };
    for (const EdgeBinding& edge : batch_edges_) all(edge.sender, edge.partitioning);
    for (const HashEdge& edge : hash_edges_) all(edge.sender, Partitioning::hash);
  }

  BatchPool<T>* pool_;
  CollectorConfig config_;
  std::vector<EdgeBinding> batch_edges_;
  std::vector<std::size_t> rebalance_next_;
  std::vector<HashEdge> hash_edges_;
  std::vector<std::uint32_t> targets_;  // scratch for batch routing
  BatchPtr<T> shared_;
  std::optional<Clock::time_point> oldest_;
};

}  // namespace sw
