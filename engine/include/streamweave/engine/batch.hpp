// Batch<T>: the unit that crosses channels. Pooled and reference-counted.
//
// A batch is built by exactly one task, then frozen when it is sent: from then on it is
// shared read-only by every consumer that holds a reference (fan-out shares one batch).
// The holder of the last reference may take the items by move (copy-on-write).
// When the last reference goes, the batch returns to the pool it came from and its item
// storage to the BufferPool, so a steady pipeline allocates neither.
#pragma once

#include <atomic>
#include <boost/intrusive/slist.hpp>
#include <boost/intrusive_ptr.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <typeindex>
#include <vector>

#include "streamweave/serde/buffer_pool.hpp"

namespace sw {

class BatchPoolBase;

class BatchBase : public boost::intrusive::slist_base_hook<> {
 public:
  BatchBase(const BatchBase&) = delete;
  BatchBase& operator=(const BatchBase&) = delete;
  virtual ~BatchBase() = default;

  [[nodiscard]] virtual std::size_t size() const noexcept = 0;
  // True when the caller holds the only reference: it may then move the items out.
  [[nodiscard]] bool unique() const noexcept { return refs_.load(std::memory_order_acquire) == 1; }

 protected:
  explicit BatchBase(BatchPoolBase& pool) noexcept : pool_(&pool) {}

 private:
  friend void intrusive_ptr_add_ref(const BatchBase* batch) noexcept {
    batch->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  friend void intrusive_ptr_release(const BatchBase* batch) noexcept;

  friend class BatchPoolBase;
  mutable std::atomic<std::uint32_t> refs_{0};
  BatchPoolBase* pool_;
  BatchBase* remote_next_ = nullptr;  // link on the pool's remote-free stack
};

using BatchRef = boost::intrusive_ptr<BatchBase>;

// The items of a batch; their storage comes from a BufferPool (serde/buffer_pool.hpp).
template <class T>
using BatchItems = std::vector<T, PoolAllocator<T>>;

template <class T>
class Batch;

template <class T>
using BatchPtr = boost::intrusive_ptr<Batch<T>>;

// The items a view selects: positions `at` of `from`. Indexable like the item vector.
template <class T>
struct SelectedItems {
  const BatchItems<T>& from;
  const BatchItems<std::uint32_t>& at;
  [[nodiscard]] std::size_t size() const noexcept { return at.size(); }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return from[at[i]]; }
};

// A batch owns its items, or is a view: some items of another batch, by position. A filter
// makes a view of a batch it shares with other consumers, so that what it keeps goes on
// without a copy (a selection vector, as in Arrow Acero or DuckDB).
template <class T>
class Batch final : public BatchBase {
 public:
  Batch(BatchPoolBase& pool, BufferPool& buffers) noexcept
      : BatchBase(pool),
        items(PoolAllocator<T>(buffers)),
        selection(PoolAllocator<std::uint32_t>(buffers)) {}
  [[nodiscard]] std::size_t size() const noexcept override {
    return viewed ? selection.size() : items.size();
  }
  [[nodiscard]] bool is_view() const noexcept { return viewed != nullptr; }
  // True when the holder may move the items out: it holds the only reference to a batch
  // that owns its items. Otherwise it may only read them, through read().
  [[nodiscard]] bool owned() const noexcept { return !viewed && unique(); }

  // Returns f(items), items being the batch's item vector or, for a view, its SelectedItems:
  // either way indexable with size() and operator[]. Each form is its own loop, so reading a
  // batch costs no test per item.
  template <class F>
  decltype(auto) read(F&& f) const {
    if (viewed) return f(SelectedItems<T>{viewed->items, selection});
    return f(items);
  }

  BatchItems<T> items;  // empty for a view
  // For a view only: the batch it selects from (never itself a view), and the positions of
  // its items there.
  BatchPtr<T> viewed;
  BatchItems<std::uint32_t> selection;
};

// Counters of one pool; read them when the pool is quiescent (after a run).
struct BatchPoolStats {
  std::uint64_t acquired = 0;  // batches handed out
  std::uint64_t created = 0;   // of those, newly allocated (the rest were reused)
  std::size_t retained = 0;    // batches kept for reuse now
};

// Free batches of one item type, owned by one task: acquire() is called by one thread at a
// time (the owner), recycle() by any thread. Batches released by other threads go onto a
// lock-free "remote" stack the owner takes over whole, so neither side ever waits on a
// lock. The pool must outlive every batch it handed out.
class BatchPoolBase {
 public:
  explicit BatchPoolBase(std::size_t max_retained) noexcept : max_retained_(max_retained) {}
  BatchPoolBase(const BatchPoolBase&) = delete;
  BatchPoolBase& operator=(const BatchPoolBase&) = delete;
  virtual ~BatchPoolBase() = default;

  [[nodiscard]] BatchPoolStats stats() const noexcept;
  [[nodiscard]] virtual std::type_index item_type() const noexcept = 0;

 protected:
  friend void intrusive_ptr_release(const BatchBase* batch) noexcept;
  // Takes back a batch whose last reference was released. Any thread.
  virtual void recycle(BatchBase* batch) noexcept = 0;

  // Owner only: a free batch, or nullptr. Excess batches beyond max_retained go to `drop`.
  template <class Drop>
  BatchBase* pop_free(Drop&& drop) noexcept {
    if (free_.empty()) take_remote(drop);
    if (free_.empty()) return nullptr;
    BatchBase& batch = free_.front();
    free_.pop_front();
    return &batch;
  }
  // Any thread.
  void push_remote(BatchBase& batch) noexcept;

  std::size_t max_retained_;
  std::uint64_t acquired_ = 0;
  std::uint64_t created_ = 0;

 private:
  template <class Drop>
  void take_remote(Drop& drop) noexcept {
    BatchBase* newest = remote_.exchange(nullptr, std::memory_order_acquire);
    // Reverse the stack so that pushing each onto the front of free_ leaves the most recently
    // released batch first: it is the one most likely still in a cache.
    BatchBase* node = nullptr;
    while (newest != nullptr) {
      BatchBase* older = newest->remote_next_;
      newest->remote_next_ = node;
      node = newest;
      newest = older;
    }
    while (node != nullptr) {
      BatchBase* next = node->remote_next_;
      if (free_.size() < max_retained_) {
        free_.push_front(*node);
      } else {
        drop(node);
      }
      node = next;
    }
  }

  boost::intrusive::slist<BatchBase> free_;  // owner only
  std::atomic<BatchBase*> remote_{nullptr};

 protected:
  // For the destructor of the typed pool: every batch still kept, local and remote.
  template <class Drop>
  void drop_all(Drop&& drop) noexcept {
    take_remote(drop);
    free_.clear_and_dispose([&drop](BatchBase* b) { drop(b); });
  }
};

inline void intrusive_ptr_release(const BatchBase* batch) noexcept {
  if (batch->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    batch->pool_->recycle(const_cast<BatchBase*>(batch));
  }
}

template <class T>
class BatchPool final : public BatchPoolBase {
 public:
  // Free batches a pool keeps unless told otherwise.
  static constexpr std::size_t kDefaultRetained = 256;

  // Batches' item storage comes from `buffers`, which must outlive this pool.
  explicit BatchPool(std::size_t max_retained = kDefaultRetained,
                     BufferPool& buffers = BufferPool::global()) noexcept
      : BatchPoolBase(max_retained), buffers_(&buffers) {}
  ~BatchPool() override { drop_all(&BatchPool::destroy); }

  // An empty batch whose item vector can hold at least `capacity` items. Owner only.
  [[nodiscard]] BatchPtr<T> acquire(std::size_t capacity) {
    ++acquired_;
    auto* batch = static_cast<Batch<T>*>(pop_free(&BatchPool::destroy));
    if (batch == nullptr) {
      ++created_;
      batch = std::make_unique<Batch<T>>(*this, *buffers_).release();
    }
    batch->items.reserve(capacity);
    return BatchPtr<T>(batch);
  }

  [[nodiscard]] std::type_index item_type() const noexcept override { return typeid(T); }

 private:
  static void destroy(BatchBase* batch) noexcept {
    std::default_delete<Batch<T>>{}(static_cast<Batch<T>*>(batch));
  }
  void recycle(BatchBase* base) noexcept override {
    // The storage goes back to the buffer pool now: an idle batch keeps none, and any batch of
    // any item type may reuse it. (Both vectors use the same pool, so this frees, never copies.)
    // Only the storage of a few items stays: the one-item batches of the item-wise error
    // policies would otherwise take a buffer and give it back for every item, which costs
    // more than the item's own work.
    auto& batch = *static_cast<Batch<T>*>(base);
    empty_out(batch.items);
    empty_out(batch.selection);
    batch.viewed.reset();  // may recycle the viewed batch, into its own pool
    push_remote(*base);
  }
  template <class U>
  static void empty_out(BatchItems<U>& items) noexcept {
    if (items.capacity() <= kKeptCapacity) {
      items.clear();
    } else {
      items = BatchItems<U>(items.get_allocator());
    }
  }

  static constexpr std::size_t kKeptCapacity = 4;  // items whose storage a free batch keeps

  BufferPool* buffers_;
};

}  // namespace sw
