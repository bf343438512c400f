#include "streamweave/serde/buffer_pool.hpp"

#include "env.hpp"

#include <atomic>
#include <bit>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <utility>

namespace sw {

namespace {

// The bytes of a buffer start this far into its allocation, aligned for any scalar.
constexpr std::size_t kHeaderBytes = (sizeof(PooledBuffer) + alignof(std::max_align_t) - 1) /
                                     alignof(std::max_align_t) * alignof(std::max_align_t);

// Pools alive now, by id: a thread cache returns its buffers at thread exit only to a pool
// still alive. Never destroyed, because threads may exit after static destructors ran.
struct Registry {
  std::mutex mutex;
  std::unordered_set<std::uint64_t> live;
  std::uint64_t next_id = 1;
};
Registry& registry() {
  static Registry& r = *std::make_unique<Registry>().release();
  return r;
}

}  // namespace

BufferPoolOptions BufferPoolOptions::from_env() {
  return from_env(BufferPoolOptions{});
}

BufferPoolOptions BufferPoolOptions::from_env(BufferPoolOptions o) {
  o.min_class_bytes =
      detail::env_positive("STREAMWEAVE_BUFFER_POOL_MIN_CLASS_BYTES", o.min_class_bytes);
  o.max_class_bytes =
      detail::env_positive("STREAMWEAVE_BUFFER_POOL_MAX_CLASS_BYTES", o.max_class_bytes);
  o.buffers_per_class =
      detail::env_positive("STREAMWEAVE_BUFFER_POOL_BUFFERS_PER_CLASS", o.buffers_per_class);
  o.thread_cache_buffers =
      detail::env_positive("STREAMWEAVE_BUFFER_POOL_THREAD_CACHE_BUFFERS", o.thread_cache_buffers);
  o.max_retained_bytes =
      detail::env_positive("STREAMWEAVE_BUFFER_POOL_MAX_RETAINED_BYTES", o.max_retained_bytes);
  o.initial_capacity =
      detail::env_positive("STREAMWEAVE_BUFFER_POOL_INITIAL_CAPACITY", o.initial_capacity);
  return o;
}

void BufferPoolOptions::validate() const {
  if (!std::has_single_bit(min_class_bytes) || min_class_bytes < 16) {
    throw std::invalid_argument("buffer pool: min_class_bytes (" + std::to_string(min_class_bytes) +
                                ") must be a power of two of at least 16");
  }
  if (!std::has_single_bit(max_class_bytes) || max_class_bytes < min_class_bytes) {
    throw std::invalid_argument("buffer pool: max_class_bytes (" + std::to_string(max_class_bytes) +
                                ") must be a power of two, at least min_class_bytes");
  }
  if (std::countr_zero(max_class_bytes) - std::countr_zero(min_class_bytes) >= 32) {
    throw std::invalid_argument("buffer pool: more than 32 size classes");
  }
  if (initial_capacity == 0) throw std::invalid_argument("buffer pool: initial_capacity is 0");
}

namespace {
// Set when this thread's cache has been destroyed (thread exit; for the main thread, before
// static objects are destroyed): buffers a static object frees after that go to the shared
// lists. A plain bool, so it can be read after the cache is gone.
thread_local bool tl_cache_gone = false;
}  // namespace

// A thread's cached buffers of one pool. Owned by the thread's cache; also listed in the pool,
// whose destructor empties it and whose other threads take from it when they run short.
struct BufferPoolCacheEntry {
  BufferPool* pool = nullptr;
  std::uint64_t id = 0;
  std::uint64_t trim_epoch = 0;
  // Guards `lists`: the owner thread's lock is uncontended unless another thread, short of a
  // buffer, takes one (BufferPool::take_cached, under the registry mutex, which it nests).
  std::mutex mutex;
  std::vector<BufferPool::FreeList> lists;  // by size class

  // Frees the cached buffers (trim, or the pool's destruction). The caller holds `mutex` or
  // the registry mutex.
  void drop_all() noexcept {
    for (BufferPool::FreeList& list : lists) {
      list.clear_and_dispose([this](PooledBuffer* b) {
        pool->unretain(b->capacity());
        BufferPool::destroy(b);
      });
    }
  }
};

// Each thread's cached buffers, per pool it used.
struct BufferPoolThreadCache {
  using Entry = BufferPoolCacheEntry;

  ~BufferPoolThreadCache() {
    tl_cache_gone = true;
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    for (std::unique_ptr<Entry>& entry : entries) {
      if (!r.live.contains(entry->id)) continue;  // its pool emptied it
      BufferPool& pool = *entry->pool;
      std::erase(pool.cache_entries_, entry.get());
      for (BufferPool::FreeList& list : entry->lists) {
        while (!list.empty()) {
          PooledBuffer& buffer = list.front();
          list.pop_front();
          pool.unretain(buffer.capacity());
          pool.keep_shared(&buffer);
        }
      }
    }
  }

  // The entry of `pool`, which is alive (the caller is inside one of its member functions).
  Entry& of(BufferPool& pool) {
    for (std::unique_ptr<Entry>& entry : entries) {
      if (entry->id == pool.id_) {
        const std::uint64_t epoch = pool.trim_epoch_.load(std::memory_order_relaxed);
        if (entry->trim_epoch != epoch) {
          std::lock_guard lock(entry->mutex);
          entry->drop_all();
          entry->trim_epoch = epoch;
        }
        return *entry;
      }
    }
    return add(pool);
  }

  Entry& add(BufferPool& pool) {
    auto entry = std::make_unique<Entry>();
    entry->pool = &pool;
    entry->id = pool.id_;
    entry->trim_epoch = pool.trim_epoch_.load(std::memory_order_relaxed);
    entry->lists = std::vector<BufferPool::FreeList>(pool.classes_);
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    // Entries of destroyed pools are empty (their pools emptied them); forget them.
    std::erase_if(entries,
                  [&r](const std::unique_ptr<Entry>& e) { return !r.live.contains(e->id); });
    entries.reserve(entries.size() + 1);
    pool.cache_entries_.push_back(entry.get());
    return *entries.emplace_back(std::move(entry));
  }

  std::vector<std::unique_ptr<Entry>> entries;
};

namespace {
thread_local BufferPoolThreadCache tl_cache;

std::atomic<std::size_t> all_pools_allocated{0};

std::uint32_t this_thread_id() noexcept {
  static std::atomic<std::uint32_t> next{1};
  thread_local const std::uint32_t id = next.fetch_add(1, std::memory_order_relaxed);
  return id;
}
}  // namespace

void PooledBuffer::dispose() noexcept {
  pool_->release(this);
}

BufferPool::BufferPool(BufferPoolOptions options)
    : options_((options.validate(), options)),
      id_([] {
        Registry& r = registry();
        std::lock_guard lock(r.mutex);
        const std::uint64_t id = r.next_id++;
        r.live.insert(id);
        return id;
      }()),
      classes_(static_cast<std::uint32_t>(std::countr_zero(options_.max_class_bytes) -
                                          std::countr_zero(options_.min_class_bytes) + 1)),
      shared_(classes_) {}

BufferPool::~BufferPool() {
  {
    // Under the registry mutex, so that no thread exit or cache entry added races with this.
    // Other threads' caches are no longer touched for this pool (the caller's promise).
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    r.live.erase(id_);
    for (BufferPoolCacheEntry* entry : cache_entries_) entry->drop_all();
  }
  for (SharedClass& c : shared_) c.free.clear_and_dispose([](PooledBuffer* b) { destroy(b); });
}

BufferPool& BufferPool::global() {
  static BufferPool& pool = *std::make_unique<BufferPool>(BufferPoolOptions::from_env()).release();
  return pool;
}

std::uint32_t BufferPool::class_of(std::size_t bytes) const noexcept {
  if (bytes <= options_.min_class_bytes) return 0;
  return static_cast<std::uint32_t>(std::bit_width(bytes - 1) -
                                    std::countr_zero(options_.min_class_bytes));
}

PooledBuffer* BufferPool::make_buffer(std::uint32_t size_class, std::size_t capacity) {
  void* memory = ::operator new(kHeaderBytes + capacity);
  all_pools_allocated.fetch_add(capacity, std::memory_order_relaxed);
  auto* data = static_cast<std::byte*>(memory) + kHeaderBytes;
  return ::new (memory) PooledBuffer(*this, size_class, data, capacity);
}

void BufferPool::destroy(PooledBuffer* buffer) noexcept {
  all_pools_allocated.fetch_sub(buffer->capacity(), std::memory_order_relaxed);
  buffer->~PooledBuffer();
  ::operator delete(static_cast<void*>(buffer));
}

PooledBuffer* BufferPool::acquire(std::size_t min_capacity) {
  acquired_.fetch_add(1, std::memory_order_relaxed);
  if (min_capacity > options_.max_class_bytes) {
    PooledBuffer* buffer = make_buffer(PooledBuffer::kOversize, min_capacity);
    oversize_.fetch_add(1, std::memory_order_relaxed);
    outstanding_.fetch_add(min_capacity, std::memory_order_relaxed);
    return buffer;
  }
  const std::uint32_t c = class_of(min_capacity);
  const std::size_t bytes = class_bytes(c);
  outstanding_.fetch_add(bytes, std::memory_order_relaxed);
  BufferPoolCacheEntry* cache = tl_cache_gone ? nullptr : &tl_cache.of(*this);
  PooledBuffer* buffer = nullptr;
  if (cache != nullptr) {
    std::lock_guard lock(cache->mutex);
    FreeList& local = cache->lists[c];
    if (!local.empty()) {
      buffer = &local.front();
      local.pop_front();
    }
  }
  if (buffer == nullptr) {
    SharedClass& shared = shared_[c];
    std::lock_guard lock(shared.mutex);
    if (!shared.free.empty()) {
      buffer = &shared.free.front();
      shared.free.pop_front();
    }
  }
  if (buffer == nullptr) buffer = take_cached(c, cache);
  if (buffer != nullptr) {
    unretain(bytes);
    reused_.fetch_add(1, std::memory_order_relaxed);
  } else {
    created_.fetch_add(1, std::memory_order_relaxed);
    buffer = make_buffer(c, bytes);
  }
  buffer->taker_ = this_thread_id();
  return buffer;
}

void BufferPool::deallocate(void* data) noexcept {
  auto* buffer = reinterpret_cast<PooledBuffer*>(static_cast<std::byte*>(data) - kHeaderBytes);
  intrusive_ptr_release(buffer);
}

bool BufferPool::reserve_retained(std::size_t bytes) noexcept {
  std::size_t now = retained_.load(std::memory_order_relaxed);
  do {
    if (now + bytes > options_.max_retained_bytes) return false;
  } while (!retained_.compare_exchange_weak(now, now + bytes, std::memory_order_relaxed));
  std::size_t high = retained_high_water_.load(std::memory_order_relaxed);
  while (now + bytes > high && !retained_high_water_.compare_exchange_weak(
                                   high, now + bytes, std::memory_order_relaxed)) {
  }
  return true;
}

void BufferPool::release(PooledBuffer* buffer) noexcept {
  outstanding_.fetch_sub(buffer->capacity(), std::memory_order_relaxed);
  if (buffer->size_class() == PooledBuffer::kOversize) {
    destroy(buffer);
    return;
  }
  if (buffer->taker_ == this_thread_id() && !tl_cache_gone) {
    try {
      BufferPoolCacheEntry& cache = tl_cache.of(*this);
      std::lock_guard lock(cache.mutex);
      FreeList& local = cache.lists[buffer->size_class()];
      if (local.size() < options_.thread_cache_buffers && reserve_retained(buffer->capacity())) {
        local.push_front(*buffer);
        return;
      }
    } catch (...) {
      // No memory for this thread's cache entry: the shared list still takes the buffer.
    }
  }
  keep_shared(buffer);
}

PooledBuffer* BufferPool::take_cached(std::uint32_t size_class,
                                      const BufferPoolCacheEntry* mine) noexcept {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  for (BufferPoolCacheEntry* entry : cache_entries_) {
    if (entry == mine) continue;
    std::lock_guard entry_lock(entry->mutex);
    FreeList& list = entry->lists[size_class];
    if (!list.empty()) {
      PooledBuffer& buffer = list.front();
      list.pop_front();
      return &buffer;
    }
  }
  return nullptr;
}

void BufferPool::keep_shared(PooledBuffer* buffer) noexcept {
  SharedClass& shared = shared_[buffer->size_class()];
  {
    std::lock_guard lock(shared.mutex);
    if (shared.free.size() < options_.buffers_per_class && reserve_retained(buffer->capacity())) {
      shared.free.push_front(*buffer);
      return;
    }
  }
  dropped_.fetch_add(1, std::memory_order_relaxed);
  destroy(buffer);
}

void BufferPool::trim() noexcept {
  trim_epoch_.fetch_add(1, std::memory_order_relaxed);
  for (SharedClass& c : shared_) {
    FreeList doomed;
    {
      std::lock_guard lock(c.mutex);
      doomed.swap(c.free);
    }
    doomed.clear_and_dispose([this](PooledBuffer* b) {
      unretain(b->capacity());
      destroy(b);
    });
  }
  try {
    if (!tl_cache_gone) (void)tl_cache.of(*this);  // the epoch moved: empty this thread's cache
  } catch (...) {
  }
}

std::size_t BufferPool::allocated_bytes() noexcept {
  return all_pools_allocated.load(std::memory_order_relaxed);
}

BufferPoolStats BufferPool::stats() const noexcept {
  BufferPoolStats s;
  s.acquired = acquired_.load(std::memory_order_relaxed);
  s.reused = reused_.load(std::memory_order_relaxed);
  s.created = created_.load(std::memory_order_relaxed);
  s.oversize = oversize_.load(std::memory_order_relaxed);
  s.dropped = dropped_.load(std::memory_order_relaxed);
  s.retained_bytes = retained_.load(std::memory_order_relaxed);
  s.retained_high_water = retained_high_water_.load(std::memory_order_relaxed);
  s.outstanding_bytes = outstanding_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace sw
