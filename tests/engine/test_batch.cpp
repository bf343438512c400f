// Batch pool: reuse, reference counting, the unique-owner test and the retention limit.
#include <catch2/catch.hpp>
#include <streamweave/engine/batch.hpp>
#include <string>
#include <thread>
#include <vector>

TEST_CASE("a released batch returns to its pool and is reused with its capacity") {
  sw::BatchPool<std::string> pool;
  const std::string* first_data = nullptr;
  {
    auto batch = pool.acquire(64);
    CHECK(batch->items.capacity() >= 64);
    batch->items.emplace_back("a");
    first_data = batch->items.data();
    CHECK(batch->unique());
    auto shared = batch;
    CHECK_FALSE(batch->unique());
  }
  CHECK(pool.stats().retained == 1);
  auto again = pool.acquire(64);
  CHECK(again->items.empty());
  CHECK(again->items.data() == first_data);  // same storage, no new allocation
  const sw::BatchPoolStats stats = pool.stats();
  CHECK(stats.acquired == 2);
  CHECK(stats.created == 1);
  CHECK(stats.retained == 0);
}

TEST_CASE("the pool keeps at most max_retained batches once the owner takes them back") {
  sw::BatchPool<int> pool(2);
  {
    std::vector<sw::BatchPtr<int>> held;
    for (int i = 0; i < 5; ++i) held.push_back(pool.acquire(4));
  }
  CHECK(pool.stats().retained == 5);  // returned, not yet sorted by the owner
  auto again = pool.acquire(4);       // the owner keeps 2 of the 5 and frees 3
  CHECK(pool.stats().created == 5);
  CHECK(pool.stats().retained == 1);
}

TEST_CASE("batches released from many threads all come back") {
  sw::BatchPool<int> pool(1024);
  std::vector<sw::BatchPtr<int>> batches;
  for (int i = 0; i < 200; ++i) batches.push_back(pool.acquire(8));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    std::vector<sw::BatchPtr<int>> mine;
    for (int i = t; i < 200; i += 4) mine.push_back(batches[static_cast<std::size_t>(i)]);
    threads.emplace_back([mine = std::move(mine)]() mutable { mine.clear(); });
  }
  batches.clear();
  for (auto& t : threads) t.join();
  CHECK(pool.stats().retained == 200);
}

TEST_CASE("a view reads the selected items of the batch it holds, and gives it back when done") {
  sw::BatchPool<std::string> pool;
  auto source = pool.acquire(4);
  for (const char* s : {"a", "b", "c", "d"}) source->items.emplace_back(s);
  CHECK(source->owned());
  {
    auto view = pool.acquire(0);
    view->selection.push_back(1);
    view->selection.push_back(3);
    view->viewed = source;
    CHECK(view->is_view());
    CHECK(view->size() == 2);
    CHECK_FALSE(view->owned());    // a view's items belong to the viewed batch
    CHECK_FALSE(source->owned());  // the view holds a reference
    std::vector<std::string> seen;
    view->read([&](const auto& items) {
      for (std::size_t i = 0; i < items.size(); ++i) seen.push_back(items[i]);
    });
    CHECK(seen == std::vector<std::string>{"b", "d"});
  }
  CHECK(source->owned());  // the released view let go of it
  std::size_t n = 0;
  source->read([&](const auto& items) { n = items.size(); });
  CHECK(n == 4);
  auto reused = pool.acquire(0);  // the view's batch, recycled: no longer a view
  CHECK_FALSE(reused->is_view());
  CHECK(reused->size() == 0);
}
