// The baselines of the event-rate benchmark, in a translation unit of their own so that
// their code generation does not move with StreamWeave's headers (g++ limits inlining by
// the growth of a whole unit: the batched flow_graph once ran 50 % faster or slower after
// unrelated engine changes, with its own code unchanged).
#include "baselines.hpp"

#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <memory>
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
