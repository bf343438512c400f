// Baselines of pipeline P (bench/event_rate.cpp): a hand-written loop and oneTBB flow_graph
// with one message per event and with hand-made batches of 1024 events.
#pragma once

#include <cstdint>

#include "pipeline_p.hpp"

namespace sw::bench {

Sums hand_loop(std::uint64_t n);
Sums flow_graph_per_event(std::uint64_t n, unsigned threads);
Sums flow_graph_batched(std::uint64_t n, unsigned threads);
// Pipeline P's hash shuffle written by hand: thread t of `threads` makes events
// [t n / threads, (t + 1) n / threads), sums those of its own keys at once and hands the others,
// in vectors of 1024, to the thread that owns their key (the engine's key groups) through
// lock-free single-producer rings. What a shuffle can reach on this machine.
Sums hand_shuffle(std::uint64_t n, unsigned threads);

}  // namespace sw::bench
