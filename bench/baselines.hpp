// Baselines of pipeline P (bench/event_rate.cpp): a hand-written loop and oneTBB flow_graph
// with one message per event and with hand-made batches of 1024 events.
#pragma once

#include <cstdint>

#include "pipeline_p.hpp"

namespace sw::bench {

Sums hand_loop(std::uint64_t n);
Sums flow_graph_per_event(std::uint64_t n, unsigned threads);
Sums flow_graph_batched(std::uint64_t n, unsigned threads);

}  // namespace sw::bench
