#include <catch2/catch.hpp>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <streamweave/serde/bytes.hpp>
#include <thread>
#include <vector>

#include "support/watchdog.hpp"

namespace {
using Ptr = boost::intrusive_ptr<sw::SharedBuffer>;
}  // namespace

TEST_CASE("Buffers come in power-of-two classes and are reused", "[serde][pool]") {
  sw::BufferPool pool;
  Ptr a(pool.acquire(1));
  REQUIRE(a->capacity() == 256);
  Ptr b(pool.acquire(257));
  REQUIRE(b->capacity() == 512);
  Ptr c(pool.acquire(4096));
  REQUIRE(c->capacity() == 4096);
  const std::byte* first = c->data();
  c.reset();
  Ptr d(pool.acquire(3000));
  REQUIRE(d->data() == first);  // the same buffer, from this thread's cache

  const sw::BufferPoolStats s = pool.stats();
  REQUIRE(s.acquired == 4);
  REQUIRE(s.created == 3);
  REQUIRE(s.reused == 1);
  REQUIRE(s.reuse_rate() == Approx(0.25));
  REQUIRE(s.outstanding_bytes == 256 + 512 + 4096);
}

TEST_CASE("Buffers above the largest class are freed, not kept", "[serde][pool]") {
  sw::BufferPoolOptions o;
  o.max_class_bytes = 1024;
  sw::BufferPool pool(o);
  {
    Ptr big(pool.acquire(5000));
    REQUIRE(big->capacity() == 5000);
  }
  const sw::BufferPoolStats s = pool.stats();
  REQUIRE(s.oversize == 1);
  REQUIRE(s.retained_bytes == 0);
  REQUIRE(s.outstanding_bytes == 0);
}

TEST_CASE("The pool keeps no more than its limits", "[serde][pool]") {
  sw::BufferPoolOptions o;
  o.thread_cache_buffers = 2;
  o.buffers_per_class = 3;
  o.max_retained_bytes = 1 << 20;
  sw::BufferPool pool(o);
  {
    std::vector<Ptr> held;
    for (int i = 0; i < 10; ++i) held.emplace_back(pool.acquire(1000));  // class 1024
  }
  sw::BufferPoolStats s = pool.stats();
  REQUIRE(s.retained_bytes == 5 * 1024);  // 2 in this thread's cache + 3 shared
  REQUIRE(s.dropped == 5);
  REQUIRE(s.retained_high_water == 5 * 1024);

  sw::BufferPoolOptions tight;
  tight.max_retained_bytes = 3000;
  sw::BufferPool small(tight);
  {
    std::vector<Ptr> held;
    for (int i = 0; i < 10; ++i) held.emplace_back(small.acquire(1000));
  }
  s = small.stats();
  REQUIRE(s.retained_bytes == 2 * 1024);
  REQUIRE(s.dropped == 8);

  pool.trim();
  REQUIRE(pool.stats().retained_bytes == 0);
}

TEST_CASE("Options are checked and read from the environment", "[serde][pool]") {
  sw::BufferPoolOptions o;
  o.min_class_bytes = 300;
  REQUIRE_THROWS_WITH(sw::BufferPool(o), Catch::Contains("min_class_bytes (300)"));
  o = {};
  o.max_class_bytes = 128;
  REQUIRE_THROWS_WITH(sw::BufferPool(o), Catch::Contains("max_class_bytes (128)"));

  ::setenv("STREAMWEAVE_BUFFER_POOL_THREAD_CACHE_BUFFERS", "3", 1);
  ::setenv("STREAMWEAVE_BUFFER_POOL_MAX_RETAINED_BYTES", "12345", 1);
  const sw::BufferPoolOptions from_env = sw::BufferPoolOptions::from_env();
  REQUIRE(from_env.thread_cache_buffers == 3);
  REQUIRE(from_env.max_retained_bytes == 12345);
  REQUIRE(from_env.buffers_per_class == sw::BufferPoolOptions{}.buffers_per_class);
  ::setenv("STREAMWEAVE_BUFFER_POOL_INITIAL_CAPACITY", "4k", 1);
  REQUIRE_THROWS_WITH(sw::BufferPoolOptions::from_env(),
                      Catch::Contains("STREAMWEAVE_BUFFER_POOL_INITIAL_CAPACITY='4k'"));
  ::unsetenv("STREAMWEAVE_BUFFER_POOL_THREAD_CACHE_BUFFERS");
  ::unsetenv("STREAMWEAVE_BUFFER_POOL_MAX_RETAINED_BYTES");
  ::unsetenv("STREAMWEAVE_BUFFER_POOL_INITIAL_CAPACITY");
}

TEST_CASE("Buffers pass between threads, every byte and every buffer is accounted for",
          "[serde][pool][concurrency]") {
  sw::test::Watchdog watchdog("buffer pool threads");
  sw::BufferPool pool;
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  std::vector<std::vector<sw::Bytes>> handoff(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&pool, &handoff, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int r = 0; r < kRounds; ++r) {
        sw::BytesMut out(pool);
        const std::size_t n = 1 + rng() % 5000;
        for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<std::byte>((i + t) & 0xff));
        handoff[static_cast<std::size_t>(t)].push_back(out.freeze());
      }
    });
  }
  for (auto& th : threads) th.join();
  threads.clear();
  // Other threads release what these wrote: buffers cross threads back to the pool.
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&handoff, t] {
      auto& mine = handoff[static_cast<std::size_t>((t + 1) % kThreads)];
      for (const sw::Bytes& b : mine) {
        for (std::size_t i = 0; i < b.size(); ++i) {
          if (b.data()[i] !=
              static_cast<std::byte>((i + static_cast<std::size_t>((t + 1) % kThreads)) & 0xff)) {
            throw std::runtime_error("corrupt buffer");
          }
        }
      }
      mine.clear();
    });
  }
  for (auto& th : threads) th.join();
  const sw::BufferPoolStats s = pool.stats();
  REQUIRE(s.outstanding_bytes == 0);
  REQUIRE(s.acquired == s.reused + s.created + s.oversize);
  REQUIRE(s.retained_bytes <= pool.options().max_retained_bytes);
}

TEST_CASE("A steady writer reuses its buffers", "[serde][pool]") {
  sw::BufferPool pool;
  for (int i = 0; i < 10000; ++i) {
    sw::BytesMut out(1000, pool);
    out.append("payload");
    const sw::Bytes frozen = out.freeze();
    REQUIRE(frozen.size() == 7);
  }
  const sw::BufferPoolStats s = pool.stats();
  REQUIRE(s.created == 1);
  REQUIRE(s.reuse_rate() >= 0.999);
}

namespace {
// Holds a buffer past the end of its thread's pool cache: thread-local objects are destroyed
// in reverse order of construction, and this one is constructed before the thread first
// touches the pool.
struct LateHolder {
  sw::Bytes bytes;
};
}  // namespace

TEST_CASE("a buffer freed after its thread's cache is gone goes to the shared list") {
  sw::BufferPool pool;
  const auto before = pool.stats();
  std::thread([&pool] {
    thread_local LateHolder holder;  // constructed first, destroyed last
    sw::BytesMut out(1000, pool);
    out.append(std::string_view("late"));
    holder.bytes = out.freeze();  // the pool's thread cache is created here, after `holder`
  }).join();
  const auto after = pool.stats();
  CHECK(after.acquired - before.acquired == 1);
  CHECK(after.outstanding_bytes == 0);  // released, at the thread's very end
  CHECK(after.retained_bytes == 1024);  // kept in the shared list for reuse
}

namespace {
// Runs `steps` on a thread of its own, one at a time, when the test asks: the thread (and its
// buffer cache) stays alive in between.
class StepThread {
 public:
  StepThread() : thread_([this] { loop(); }) {}
  ~StepThread() {
    {
      std::lock_guard lock(mutex_);
      quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void run(std::function<void()> step) {
    std::unique_lock lock(mutex_);
    step_ = std::move(step);
    cv_.notify_all();
    cv_.wait(lock, [this] { return !step_; });
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (true) {
      cv_.wait(lock, [this] { return quit_ || step_; });
      if (step_) {
        step_();
        step_ = nullptr;
        cv_.notify_all();
      } else {
        return;
      }
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::function<void()> step_;
  bool quit_ = false;
  std::thread thread_;
};

// Takes `n` buffers of `bytes` and gives them back, twice: the second time they stay in the
// calling thread's cache (the first time, the buffers just made send the first one back to
// the shared list).
void cycle_through_cache(sw::BufferPool& pool, std::size_t n, std::size_t bytes) {
  for (int round = 0; round < 2; ++round) {
    std::vector<Ptr> held;
    for (std::size_t i = 0; i < n; ++i) held.emplace_back(pool.acquire(bytes));
  }
}
}  // namespace

TEST_CASE("Destroying a pool frees the buffers other threads' caches keep", "[serde][pool]") {
  sw::test::Watchdog watchdog("pool destroyed while a thread caches its buffers");
  const std::size_t before = sw::BufferPool::allocated_bytes();
  StepThread worker;  // alive after the pool is gone
  auto pool = std::make_unique<sw::BufferPool>();
  worker.run([&] { cycle_through_cache(*pool, 4, 4096); });
  REQUIRE(sw::BufferPool::allocated_bytes() - before == 4 * 4096);
  REQUIRE(pool->stats().outstanding_bytes == 0);
  pool.reset();
  CHECK(sw::BufferPool::allocated_bytes() == before);
  // The worker's cache forgets the dead pool when it next meets a pool.
  sw::BufferPool other;
  worker.run([&] { cycle_through_cache(other, 1, 4096); });
  CHECK(sw::BufferPool::allocated_bytes() - before == 4096);
}

TEST_CASE("A thread short of buffers gets those another thread's cache keeps", "[serde][pool]") {
  // A task that moves from one worker to another leaves the first worker's cache full; the
  // second worker must not make new buffers while those sit unused.
  sw::test::Watchdog watchdog("two threads sharing cached buffers");
  sw::BufferPool pool;
  StepThread first;
  StepThread second;
  first.run([&] { cycle_through_cache(pool, 8, 4096); });
  const auto cached = pool.stats();
  REQUIRE(cached.created == 8);
  REQUIRE(cached.retained_bytes == 8 * 4096);

  std::vector<Ptr> held;
  second.run([&] {
    for (int i = 0; i < 8; ++i) held.emplace_back(pool.acquire(4096));
  });
  CHECK(pool.stats().created == 8);
  CHECK(pool.stats().reused - cached.reused == 8);
  CHECK(pool.stats().retained_bytes == 0);
  second.run([&] { held.emplace_back(pool.acquire(4096)); });  // none left anywhere: one is made
  CHECK(pool.stats().created == 9);
  // The second thread caches what it took (8, its limit), the ninth goes to the shared list;
  // the first thread, short again, gets all nine back.
  second.run([&] { held.clear(); });
  CHECK(pool.stats().retained_bytes == 9 * 4096);
  first.run([&] {
    for (int i = 0; i < 9; ++i) held.emplace_back(pool.acquire(4096));
    held.clear();
  });
  CHECK(pool.stats().created == 9);
}
