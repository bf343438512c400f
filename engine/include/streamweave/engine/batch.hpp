// Batch<T>: the unit that crosses channels. Pooled and reference-counted.
//
// A batch is built by exactly one task, then frozen when it is sent: from then on it is
// shared read-only by every consumer that holds a reference (fan-out shares one batch).
// The holder of the last reference may take the items by move (copy-on-write).
// When the last reference goes, the batch returns to the pool it came from, keeping the
// capacity of its item vector, so a steady pipeline allocates no batches.
#pragma once

#include <atomic>
#include <boost/intrusive/slist.hpp>
#include <boost/intrusive_ptr.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <typeindex>
#include <vector>

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

  mutable std::atomic<std::uint32_t> refs_{0};
  BatchPoolBase* pool_;
};

using BatchRef = boost::intrusive_ptr<BatchBase>;

template <class T>
class Batch final : public BatchBase {
 public:
  explicit Batch(BatchPoolBase& pool) noexcept : BatchBase(pool) {}
  [[nodiscard]] std::size_t size() const noexcept override { return items.size(); }
  std::vector<T> items;
};

template <class T>
using BatchPtr = boost::intrusive_ptr<Batch<T>>;

// Counters of one pool; read them after a run (they are not synchronised with the run).
struct BatchPoolStats {
  std::uint64_t acquired = 0;  // batches handed out
  std::uint64_t created = 0;   // of those, newly allocated (the rest were reused)
  std::size_t retained = 0;    // batches kept on the free list now
};

// A free list of batches of one item type. acquire() and recycle() may be called from any
// thread; the pool must outlive every batch it handed out.
class BatchPoolBase {
 public:
  explicit BatchPoolBase(std::size_t max_retained) noexcept : max_retained_(max_retained) {}
  BatchPoolBase(const BatchPoolBase&) = delete;
  BatchPoolBase& operator=(const BatchPoolBase&) = delete;
  virtual ~BatchPoolBase() = default;

  [[nodiscard]] BatchPoolStats stats() const;
  [[nodiscard]] virtual std::type_index item_type() const noexcept = 0;

 protected:
  friend void intrusive_ptr_release(const BatchBase* batch) noexcept;
  // Takes back a batch whose last reference was released.
  virtual void recycle(BatchBase* batch) noexcept = 0;

  // Called with mutex_ held by the derived pool.
  BatchBase* pop_free() noexcept;
  bool push_free(BatchBase& batch) noexcept;  // false: the pool is full, the caller frees it

  mutable std::mutex mutex_;
  boost::intrusive::slist<BatchBase> free_;
  std::size_t max_retained_;
  BatchPoolStats stats_;
};

inline void intrusive_ptr_release(const BatchBase* batch) noexcept {
  if (batch->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    batch->pool_->recycle(const_cast<BatchBase*>(batch));
  }
}

template <class T>
class BatchPool final : public BatchPoolBase {
 public:
  explicit BatchPool(std::size_t max_retained = 256) noexcept : BatchPoolBase(max_retained) {}
  ~BatchPool() override {
    free_.clear_and_dispose([](BatchBase* b) { std::default_delete<Batch<T>>{}(static_cast<Batch<T>*>(b)); });
  }

  // An empty batch whose item vector can hold at least `capacity` items.
  [[nodiscard]] BatchPtr<T> acquire(std::size_t capacity) {
    Batch<T>* batch = nullptr;
    {
      std::lock_guard lock(mutex_);
      ++stats_.acquired;
      batch = static_cast<Batch<T>*>(pop_free());
      if (batch == nullptr) ++stats_.created;
    }
    if (batch == nullptr) batch = std::make_unique<Batch<T>>(*this).release();
    batch->items.reserve(capacity);
    return BatchPtr<T>(batch);
  }

  [[nodiscard]] std::type_index item_type() const noexcept override { return typeid(T); }

 private:
  void recycle(BatchBase* base) noexcept override {
    auto* batch = static_cast<Batch<T>*>(base);
    batch->items.clear();
    bool kept;
    {
      std::lock_guard lock(mutex_);
      kept = push_free(*batch);
    }
    if (!kept) std::default_delete<Batch<T>>{}(batch);
  }
};

}  // namespace sw
