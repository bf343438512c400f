// OutputCollector: batching, sharing one batch across fan-out, rebalance, hash routing and
// end-of-stream per target.
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <streamweave/streamweave.hpp>

#include "support/tracked.hpp"

namespace {

struct RecordingSender final : sw::BatchSender {
  explicit RecordingSender(std::size_t n) : ends(n, 0), n_(n) {}
  std::size_t targets() const noexcept override { return n_; }
  void send(std::size_t target, sw::BatchRef batch) override {
    sent.emplace_back(target, std::move(batch));
  }
  void send_end(std::size_t target) override { ++ends.at(target); }
  void send_watermark(std::size_t target, sw::EventTime time) override {
    // Recorded after the batches sent so far, to check the order.
    watermarks.push_back({target, time, sent.size()});
  }
  void send_barrier(std::size_t target, std::uint64_t checkpoint) override {
    barriers.push_back({target, static_cast<sw::EventTime>(checkpoint), sent.size()});
  }

  struct Mark {
    std::size_t target;
    sw::EventTime time;
    std::size_t after_batches;
  };
  std::vector<std::pair<std::size_t, sw::BatchRef>> sent;
  std::vector<int> ends;
  std::vector<Mark> watermarks;
  std::vector<Mark> barriers;  // `time`: the checkpoint

 private:
  std::size_t n_;
};

template <class T>
std::vector<T> items(const sw::BatchRef& ref) {
  const auto& in_batch = static_cast<const sw::Batch<T>&>(*ref).items;
  return {in_batch.begin(), in_batch.end()};
}

// Items arrive one at a time, as from a kernel that emits few per batch.
template <class T>
void push_one(sw::OutputCollector<T>& out, sw::BatchPool<T>& pool, T item) {
  auto batch = pool.acquire(1);
  batch->items.push_back(std::move(item));
  out.push_items(std::move(batch));
}

}  // namespace

TEST_CASE("full batches are sent, the rest on flush, end-of-stream to the own instance") {
  sw::BatchPool<int> pool;
  sw::InstanceMetrics metrics;
  RecordingSender forward(3);
  sw::OutputCollector<int> out(pool, {.batch_size = 4, .instance = 2, .metrics = &metrics},
                               {{sw::Partitioning::forward, &forward, nullptr}});
  for (int i = 0; i < 10; ++i) push_one(out, pool, int(i));
  REQUIRE(forward.sent.size() == 2);
  CHECK(out.oldest_pending().has_value());
  out.finish();
  REQUIRE(forward.sent.size() == 3);
  CHECK(items<int>(forward.sent[2].second) == std::vector<int>{8, 9});
  for (const auto& [target, batch] : forward.sent) CHECK(target == 2);
  CHECK(forward.ends == std::vector<int>{0, 0, 1});
  CHECK(metrics.batches_out == 3);
  CHECK_FALSE(out.oldest_pending().has_value());
}

TEST_CASE("fan-out shares one batch object and copies no item") {
  sw::BatchPool<sw::test::Tracked> pool;
  sw::InstanceMetrics metrics;
  RecordingSender a(1), b(1), c(1);
  sw::OutputCollector<sw::test::Tracked> out(pool,
                                             {.batch_size = 3, .instance = 0, .metrics = &metrics},
                                             {{sw::Partitioning::forward, &a, nullptr},
                                              {sw::Partitioning::forward, &b, nullptr},
                                              {sw::Partitioning::rebalance, &c, nullptr}});
  sw::test::Tracked::copies = 0;
  for (std::uint64_t i = 0; i < 3; ++i) push_one(out, pool, sw::test::Tracked{i});
  REQUIRE(a.sent.size() == 1);
  REQUIRE(b.sent.size() == 1);
  REQUIRE(c.sent.size() == 1);
  CHECK(a.sent[0].second.get() == b.sent[0].second.get());
  CHECK(b.sent[0].second.get() == c.sent[0].second.get());
  CHECK(sw::test::Tracked::copies == 0);
}

TEST_CASE("rebalance sends whole batches round-robin starting at the own instance") {
  sw::BatchPool<int> pool;
  sw::InstanceMetrics metrics;
  RecordingSender r(3);
  sw::OutputCollector<int> out(pool, {.batch_size = 3, .instance = 1, .metrics = &metrics},
                               {{sw::Partitioning::rebalance, &r, nullptr}});
  for (int i = 0; i < 8; ++i) push_one(out, pool, int(i));
  out.finish();
  std::vector<std::size_t> targets;
  for (const auto& [t, batch] : r.sent) targets.push_back(t);
  CHECK(targets == std::vector<std::size_t>{1, 2, 0});
  CHECK(r.ends == std::vector<int>{1, 1, 1});
}

TEST_CASE("hash routing sends every key to one target, consistently") {
  sw::BatchPool<int> pool;
  sw::InstanceMetrics metrics;
  RecordingSender h(4);
  auto key = [](int v) { return v % 10; };
  sw::KeyRouterFor<int, decltype(key)> router(key);
  sw::OutputCollector<int> out(pool, {.batch_size = 5, .instance = 0, .metrics = &metrics},
                               {{sw::Partitioning::hash, &h, &router}});
  for (int i = 0; i < 1000; ++i) push_one(out, pool, int(i));
  out.finish();
  std::map<int, std::size_t> target_of_key;
  std::size_t total = 0;
  for (const auto& [t, batch] : h.sent) {
    for (int v : items<int>(batch)) {
      auto [it, inserted] = target_of_key.emplace(v % 10, t);
      CHECK(it->second == t);
      ++total;
    }
  }
  CHECK(total == 1000);
  CHECK(target_of_key.size() == 10);
  std::set<std::size_t> used;
  for (const auto& [k, t] : target_of_key) used.insert(t);
  CHECK(used.size() > 1);  // keys spread over instances
  CHECK(h.ends == std::vector<int>{1, 1, 1, 1});
}

TEST_CASE("a whole incoming batch is passed through without copying items") {
  sw::BatchPool<sw::test::Tracked> pool;
  sw::InstanceMetrics metrics;
  RecordingSender s(1);
  sw::OutputCollector<sw::test::Tracked> out(pool,
                                             {.batch_size = 4, .instance = 0, .metrics = &metrics},
                                             {{sw::Partitioning::forward, &s, nullptr}});
  auto batch = pool.acquire(4);
  for (std::uint64_t i = 0; i < 4; ++i) batch->items.emplace_back(i);
  sw::BatchBase* raw = batch.get();
  sw::test::Tracked::copies = 0;
  out.push_items(std::move(batch));
  REQUIRE(s.sent.size() == 1);
  CHECK(s.sent[0].second.get() == raw);
  CHECK(sw::test::Tracked::copies == 0);
}

TEST_CASE("a watermark sends the pending items first, then goes to every target") {
  sw::BatchPool<int> pool;
  sw::InstanceMetrics metrics;
  RecordingSender forward(3);
  RecordingSender hashed(2);
  sw::KeyRouterFor<int, int (*)(const int&)> router(+[](const int& x) { return x; });
  sw::OutputCollector<int> out(
      pool, {.batch_size = 100, .instance = 1, .metrics = &metrics},
      {{sw::Partitioning::forward, &forward, nullptr}, {sw::Partitioning::hash, &hashed, &router}});
  for (int i = 0; i < 10; ++i) push_one(out, pool, int(i));
  CHECK(forward.sent.empty());
  out.watermark(42);
  // Forward: the partial batch, then the watermark to the own instance only.
  REQUIRE(forward.sent.size() == 1);
  CHECK(forward.sent[0].first == 1);
  REQUIRE(forward.watermarks.size() == 1);
  CHECK(forward.watermarks[0].target == 1);
  CHECK(forward.watermarks[0].time == 42);
  CHECK(forward.watermarks[0].after_batches == 1);
  // Hash: both pending batches, then the watermark to both targets.
  CHECK(hashed.sent.size() == 2);
  REQUIRE(hashed.watermarks.size() == 2);
  for (const auto& mark : hashed.watermarks) {
    CHECK(mark.time == 42);
    CHECK(mark.after_batches == 2);
  }
  CHECK_FALSE(out.oldest_pending().has_value());
}

TEST_CASE("a checkpoint barrier sends the pending items first, then goes to every target") {
  sw::BatchPool<int> pool;
  sw::InstanceMetrics metrics;
  RecordingSender forward(3);
  RecordingSender rebalanced(2);
  RecordingSender hashed(3);
  sw::KeyRouterFor<int, int (*)(const int&)> router(+[](const int& x) { return x; });
  sw::OutputCollector<int> out(pool, {.batch_size = 100, .instance = 2, .metrics = &metrics},
                               {{sw::Partitioning::forward, &forward, nullptr},
                                {sw::Partitioning::rebalance, &rebalanced, nullptr},
                                {sw::Partitioning::hash, &hashed, &router}});
  for (int i = 0; i < 30; ++i) push_one(out, pool, int(i));
  out.barrier(7);
  // Forward: the own instance only, after the partial batch.
  REQUIRE(forward.barriers.size() == 1);
  CHECK(forward.barriers[0].target == 2);
  CHECK(forward.barriers[0].time == 7);
  CHECK(forward.barriers[0].after_batches == 1);
  // Rebalance and hash: every target, after every pending batch.
  CHECK(rebalanced.barriers.size() == 2);
  REQUIRE(hashed.barriers.size() == 3);
  for (const auto& mark : hashed.barriers) CHECK(mark.after_batches == hashed.sent.size());
  CHECK(hashed.sent.size() == 3);
  CHECK_FALSE(out.oldest_pending().has_value());
}
