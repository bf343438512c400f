// The baselines of the event-rate benchmark, in a translation unit of their own so that
// their code generation does not move with StreamWeave's headers (g++ limits inlining by
// the growth of a whole unit: the batched flow_graph once ran 50 % faster or slower after
// unrelated engine changes, with its own code unchanged).
#include "baselines.hpp"

#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <streamweave/engine/partitioning.hpp>
#include <streamweave/serde/hash.hpp>
#include <thread>
#include <vector>

namespace sw::bench {

namespace flow = oneapi::tbb::flow;

Sums hand_loop(std::uint64_t n) {
  FastSums sums;
  for (std::uint64_t i = 0; i < n; ++i) {
    Event e = sw::bench::make_event(i);
    sw::bench::to_euro(e);
    if (sw::bench::keep(e)) sums[e.auction] += e.price;
  }
  return sw::bench::ordered(sums);
}

namespace {

// One producer, one consumer: vectors of events, at most kSlots in flight.
template <std::size_t kSlots>
class EventRing {
 public:
  bool try_push(std::vector<Event>* v) noexcept {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_.load(std::memory_order_acquire) == kSlots) return false;
    slots_[tail % kSlots] = v;
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }
  std::vector<Event>* try_pop() noexcept {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_.load(std::memory_order_acquire)) return nullptr;
    std::vector<Event>* v = slots_[head % kSlots];
    head_.store(head + 1, std::memory_order_release);
    return v;
  }

 private:
  alignas(64) std::atomic<std::size_t> head_{0};
  alignas(64) std::atomic<std::size_t> tail_{0};
  alignas(64) std::array<std::vector<Event>*, kSlots> slots_{};
};

}  // namespace

Sums hand_shuffle(std::uint64_t n, unsigned threads) {
  constexpr std::size_t kBatch = 1024;
  const std::size_t p = threads;
  // to[s * p + d]: full vectors from s to d, 16 at most (the engine's channel capacity);
  // back[s * p + d]: d returns them to s. s makes a vector only when none came back, so a pair
  // has at most 16 + 3 and `back` never fills.
  std::vector<EventRing<16>> to(p * p);
  std::vector<EventRing<32>> back(p * p);
  std::vector<FastSums> sums(p);
  std::atomic<unsigned> producing{threads};
  std::vector<std::vector<std::unique_ptr<std::vector<Event>>>> owned(p);

  auto worker = [&](std::size_t t) {
    FastSums& mine = sums[t];
    auto fresh = [&](std::size_t d) {
      if (std::vector<Event>* v = back[t * p + d].try_pop()) {
        v->clear();
        return v;
      }
      owned[t].push_back(std::make_unique<std::vector<Event>>());
      owned[t].back()->reserve(kBatch);
      return owned[t].back().get();
    };
    auto drain = [&] {
      bool any = false;
      for (std::size_t s = 0; s < p; ++s) {
        if (s == t) continue;
        while (std::vector<Event>* v = to[s * p + t].try_pop()) {
          for (const Event& e : *v) mine[e.auction] += e.price;
          while (!back[s * p + t].try_push(v)) std::this_thread::yield();
          any = true;
        }
      }
      return any;
    };
    std::vector<std::vector<Event>*> out(p, nullptr);
    for (std::size_t d = 0; d < p; ++d) out[d] = d == t ? nullptr : fresh(d);
    auto send = [&](std::size_t d) {
      while (!to[t * p + d].try_push(out[d])) drain();
    };
    const std::uint64_t first = n * t / p;
    const std::uint64_t end = n * (t + 1) / p;
    for (std::uint64_t i = first; i < end; i += kBatch) {
      const std::uint64_t stop = std::min(end, i + kBatch);
      for (std::uint64_t k = i; k < stop; ++k) {
        Event e = sw::bench::make_event(k);
        sw::bench::to_euro(e);
        if (!sw::bench::keep(e)) continue;
        const std::size_t d = sw::owner_of_key(sw::hash_key(e.auction), p);
        if (d == t) {
          mine[e.auction] += e.price;
          continue;
        }
        out[d]->push_back(e);
        if (out[d]->size() == kBatch) {
          send(d);
          out[d] = fresh(d);
        }
      }
      drain();
    }
    for (std::size_t d = 0; d < p; ++d) {
      if (d != t) send(d);
    }
    producing.fetch_sub(1, std::memory_order_acq_rel);
    while (producing.load(std::memory_order_acquire) != 0) {
      if (!drain()) std::this_thread::yield();
    }
    while (drain()) {
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < p; ++t) pool.emplace_back(worker, t);
  worker(0);
  for (std::thread& thread : pool) thread.join();
  FastSums all;
  for (const FastSums& s : sums) {
    for (const auto& [key, value] : s) all[key] += value;
  }
  return sw::bench::ordered(all);
}

Sums flow_graph_per_event(std::uint64_t n, unsigned threads) {
  FastSums sums;
  oneapi::tbb::task_arena arena(static_cast<int>(threads));
  arena.execute([&] {
    flow::graph g;
    std::uint64_t next = 0;
    flow::input_node<Event> source(g, [&](oneapi::tbb::flow_control& fc) -> Event {
      if (next >= n) {
        fc.stop();
        return {};
      }
      return sw::bench::make_event(next++);
    });
    flow::function_node<Event, Event> map(g, flow::unlimited, [](Event e) {
      sw::bench::to_euro(e);
      return e;
    });
    using Filter = flow::multifunction_node<Event, std::tuple<Event>>;
    Filter filter(g, flow::unlimited, [](const Event& e, Filter::output_ports_type& ports) {
      if (sw::bench::keep(e)) std::get<0>(ports).try_put(e);
    });
    flow::function_node<Event> sum(g, flow::serial, [&](const Event& e) {
      sums[e.auction] += e.price;
      return flow::continue_msg();
    });
    flow::make_edge(source, map);
    flow::make_edge(map, filter);
    flow::make_edge(flow::output_port<0>(filter), sum);
    source.activate();
    g.wait_for_all();
  });
  return sw::bench::ordered(sums);
}

Sums flow_graph_batched(std::uint64_t n, unsigned threads) {
  constexpr std::uint64_t kChunk = 1024;
  using Chunk = std::shared_ptr<std::vector<Event>>;
  FastSums sums;
  oneapi::tbb::task_arena arena(static_cast<int>(threads));
  arena.execute([&] {
    flow::graph g;
    std::uint64_t next = 0;
    flow::input_node<Chunk> source(g, [&](oneapi::tbb::flow_control& fc) -> Chunk {
      if (next >= n) {
        fc.stop();
        return {};
      }
      auto chunk = std::make_shared<std::vector<Event>>();
      chunk->reserve(kChunk);
      for (const std::uint64_t end = std::min(n, next + kChunk); next < end; ++next) {
        chunk->push_back(sw::bench::make_event(next));
      }
      return chunk;
    });
    flow::function_node<Chunk, Chunk> map(g, flow::unlimited, [](Chunk c) {
      for (Event& e : *c) sw::bench::to_euro(e);
      return c;
    });
    flow::function_node<Chunk, Chunk> filter(g, flow::unlimited, [](Chunk c) {
      std::erase_if(*c, [](const Event& e) { return !sw::bench::keep(e); });
      return c;
    });
    flow::function_node<Chunk> sum(g, flow::serial, [&](const Chunk& c) {
      for (const Event& e : *c) sums[e.auction] += e.price;
      return flow::continue_msg();
    });
    flow::make_edge(source, map);
    flow::make_edge(map, filter);
    flow::make_edge(filter, sum);
    source.activate();
    g.wait_for_all();
  });
  return sw::bench::ordered(sums);
}

}  // namespace sw::bench
