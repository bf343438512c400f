// Pooled, refcounted byte buffers.
//
// A buffer is one allocation: a small header followed by its bytes. Buffers come in
// power-of-two size classes (256 B ... 4 MiB by default). A buffer released by the thread
// that acquired it goes to that thread's cache for its class; one released by another
// thread (a batch consumed downstream), or when the cache is full, goes to the pool's shared
// free list (Boost.Intrusive, under a mutex), where every thread finds it. So buffers do
// not pile up in the caches of threads that only consume. Buffers larger than the largest
// class are allocated and freed, never kept.
//
// Thread safety: every member function may be called from any thread. A pool must outlive
// every buffer it handed out; `BufferPool::global()` lives until the process exits.
#pragma once

#include <atomic>
#include <boost/intrusive/slist.hpp>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <vector>

namespace sw {

class BufferPool;

// Limits of a pool. Every field can be set from the environment (`from_env`).
struct BufferPoolOptions {
  std::size_t min_class_bytes = 256;            // smallest size class
  std::size_t max_class_bytes = 4u << 20;       // largest size class; larger buffers are not kept
  std::size_t buffers_per_class = 1024;         // kept on the shared free list of each class
  std::size_t thread_cache_buffers = 8;         // kept per class per thread
  std::size_t max_retained_bytes = 256u << 20;  // kept in all, free lists and thread caches
  std::size_t initial_capacity = 4096;          // of a BytesMut created without a capacity

  // `defaults`, overridden by STREAMWEAVE_BUFFER_POOL_{MIN_CLASS_BYTES, MAX_CLASS_BYTES,
  // BUFFERS_PER_CLASS, THREAD_CACHE_BUFFERS, MAX_RETAINED_BYTES, INITIAL_CAPACITY} when set.
  // Throws std::invalid_argument naming the variable when one is not a positive integer.
  [[nodiscard]] static BufferPoolOptions from_env(BufferPoolOptions defaults);
  [[nodiscard]] static BufferPoolOptions from_env();
  // Throws std::invalid_argument when the limits contradict each other.
  void validate() const;
};

// Counters since the pool was made; exact once the threads using the pool are quiet.
struct BufferPoolStats {
  std::uint64_t acquired = 0;      // buffers handed out
  std::uint64_t reused = 0;        // of those, taken from a free list or a thread cache
  std::uint64_t created = 0;       // of those, newly allocated within a size class
  std::uint64_t oversize = 0;      // of those, above the largest class (allocated, then freed)
  std::uint64_t dropped = 0;       // released buffers freed because a limit was reached
  std::size_t retained_bytes = 0;  // kept for reuse now
  std::size_t retained_high_water = 0;
  std::size_t outstanding_bytes = 0;  // capacity of the buffers handed out and not released

  // The counters since `earlier` (stats of the same pool); the byte figures as they are now.
  [[nodiscard]] BufferPoolStats since(const BufferPoolStats& earlier) const noexcept {
    BufferPoolStats d = *this;
    d.acquired -= earlier.acquired;
    d.reused -= earlier.reused;
    d.created -= earlier.created;
    d.oversize -= earlier.oversize;
    d.dropped -= earlier.dropped;
    return d;
  }

  // Share of buffers handed out that were reused, in [0, 1]; 1 when nothing was acquired.
  [[nodiscard]] double reuse_rate() const noexcept {
    return acquired == 0 ? 1.0 : static_cast<double>(reused) / static_cast<double>(acquired);
  }
};

// The shared part of every refcounted byte owner (pooled buffer, mapped file, ...).
// Bytes and Str hold one reference each; the owner disposes of itself on the last release.
class SharedBuffer {
 public:
  SharedBuffer(const SharedBuffer&) = delete;
  SharedBuffer& operator=(const SharedBuffer&) = delete;

  [[nodiscard]] const std::byte* data() const noexcept { return data_; }
  [[nodiscard]] std::byte* mutable_data() noexcept { return data_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::uint32_t use_count() const noexcept {
    return refs_.load(std::memory_order_acquire);
  }

  friend void intrusive_ptr_add_ref(SharedBuffer* b) noexcept {
    b->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  friend void intrusive_ptr_release(SharedBuffer* b) noexcept {
    if (b->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) b->dispose();
  }

 protected:
  SharedBuffer(std::byte* data, std::size_t capacity) noexcept : data_(data), capacity_(capacity) {}
  ~SharedBuffer() = default;
  // Called once, by the thread that released the last reference.
  virtual void dispose() noexcept = 0;

 private:
  std::atomic<std::uint32_t> refs_{0};
  std::byte* data_;
  std::size_t capacity_;
};

// A buffer of a pool. Its bytes follow the header in the same allocation.
class PooledBuffer final : public SharedBuffer, public boost::intrusive::slist_base_hook<> {
 public:
  static constexpr std::uint32_t kOversize = 0xffffffffu;

  [[nodiscard]] std::uint32_t size_class() const noexcept { return size_class_; }

 private:
  friend class BufferPool;
  PooledBuffer(BufferPool& pool, std::uint32_t size_class, std::byte* data,
               std::size_t capacity) noexcept
      : SharedBuffer(data, capacity), pool_(&pool), size_class_(size_class) {}
  ~PooledBuffer() = default;
  void dispose() noexcept override;

  BufferPool* pool_;
  std::uint32_t size_class_;
  std::uint32_t taker_ = 0;  // the thread that acquired it last (a small id, not a tid)
};

struct BufferPoolCacheEntry;

class BufferPool {
 public:
  explicit BufferPool(BufferPoolOptions options = {});
  // Frees every buffer the pool keeps, those in other threads' caches included, so that a
  // pool's memory is gone when it is. Call it when no buffer of the pool is held any more and
  // no thread is inside one of its member functions.
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // The process-wide pool, made on first use with BufferPoolOptions::from_env(); never
  // destroyed, so buffers may outlive main(). Throws on a bad environment variable.
  [[nodiscard]] static BufferPool& global();

  // A buffer of at least `min_capacity` bytes, with no reference taken yet (wrap it in a
  // boost::intrusive_ptr). Throws std::bad_alloc when memory is exhausted.
  [[nodiscard]] PooledBuffer* acquire(std::size_t min_capacity);

  // Raw memory for containers (PoolAllocator): at least `bytes` bytes aligned for any
  // scalar, from a buffer of this pool. Give it back with deallocate(); any thread.
  [[nodiscard]] void* allocate(std::size_t bytes) {
    PooledBuffer* buffer = acquire(bytes);
    intrusive_ptr_add_ref(buffer);
    return buffer->mutable_data();
  }
  // Returns memory from allocate() of any pool to the pool it came from.
  static void deallocate(void* data) noexcept;

  // Frees what the shared free lists and the calling thread's cache keep. Other threads'
  // caches are emptied when those threads next release a buffer or exit.
  void trim() noexcept;

  [[nodiscard]] BufferPoolStats stats() const noexcept;
  // Bytes of all pools' buffers allocated now, the process over: held, kept and cached.
  [[nodiscard]] static std::size_t allocated_bytes() noexcept;
  [[nodiscard]] const BufferPoolOptions& options() const noexcept { return options_; }
  // The capacity of buffers of `size_class`.
  [[nodiscard]] std::size_t class_bytes(std::uint32_t size_class) const noexcept {
    return options_.min_class_bytes << size_class;
  }

 private:
  friend class PooledBuffer;
  friend struct BufferPoolThreadCache;
  friend struct BufferPoolCacheEntry;
  using FreeList =
      boost::intrusive::slist<PooledBuffer, boost::intrusive::constant_time_size<true>>;
  struct SharedClass {
    std::mutex mutex;
    FreeList free;
  };

  [[nodiscard]] std::uint32_t class_of(std::size_t bytes) const noexcept;
  PooledBuffer* make_buffer(std::uint32_t size_class, std::size_t capacity);
  static void destroy(PooledBuffer* buffer) noexcept;
  void release(PooledBuffer* buffer) noexcept;
  // Keeps `buffer` on the shared list of its class, or frees it at a limit.
  void keep_shared(PooledBuffer* buffer) noexcept;
  // A buffer of `size_class` from another thread's cache than `mine`, or null: taken before
  // one is made, so that a worker's cache does not hoard buffers another worker needs (a task
  // that moved to another worker leaves its old worker's cache full). Takes the registry mutex.
  PooledBuffer* take_cached(std::uint32_t size_class, const BufferPoolCacheEntry* mine) noexcept;
  bool reserve_retained(std::size_t bytes) noexcept;
  void unretain(std::size_t bytes) noexcept {
    retained_.fetch_sub(bytes, std::memory_order_relaxed);
  }

  const BufferPoolOptions options_;
  const std::uint64_t id_;  // never reused: a thread cache tells a live pool by it
  std::uint32_t classes_;
  std::vector<SharedClass> shared_;
  std::atomic<std::uint64_t> trim_epoch_{0};
  // The thread caches' entries for this pool, emptied by the destructor; guarded by the
  // registry mutex of buffer_pool.cpp (a thread adds and removes its own).
  std::vector<BufferPoolCacheEntry*> cache_entries_;

  std::atomic<std::uint64_t> acquired_{0};
  std::atomic<std::uint64_t> reused_{0};
  std::atomic<std::uint64_t> created_{0};
  std::atomic<std::uint64_t> oversize_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::size_t> retained_{0};
  std::atomic<std::size_t> retained_high_water_{0};
  std::atomic<std::size_t> outstanding_{0};
};

// A standard allocator over a BufferPool: containers whose storage should come from (and
// return to) the pool, like the executor's batches. Copies share the pool.
template <class T>
class PoolAllocator {
 public:
  using value_type = T;

  PoolAllocator() noexcept : pool_(&BufferPool::global()) {}
  explicit PoolAllocator(BufferPool& pool) noexcept : pool_(&pool) {}
  template <class U>
  PoolAllocator(const PoolAllocator<U>& other) noexcept : pool_(&other.pool()) {}  // NOLINT

  [[nodiscard]] T* allocate(std::size_t n) {
    if (n > std::size_t(-1) / sizeof(T)) throw std::bad_array_new_length();
    if constexpr (alignof(T) > alignof(std::max_align_t)) {
      return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(alignof(T))));
    } else {
      return static_cast<T*>(pool_->allocate(n * sizeof(T)));
    }
  }
  void deallocate(T* p, std::size_t) noexcept {
    if constexpr (alignof(T) > alignof(std::max_align_t)) {
      ::operator delete(p, std::align_val_t(alignof(T)));
    } else {
      BufferPool::deallocate(p);
    }
  }
  [[nodiscard]] BufferPool& pool() const noexcept { return *pool_; }

  template <class U>
  friend bool operator==(const PoolAllocator& a, const PoolAllocator<U>& b) noexcept {
    return &a.pool() == &b.pool();
  }

 private:
  BufferPool* pool_;
};

}  // namespace sw
