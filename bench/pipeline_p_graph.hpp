// Pipeline P as a StreamWeave graph, up to the key: events -> to-euro -> sample ->
// key_by(auction). Each benchmark ends it with its own sum (reduce, combine) and sink.
#pragma once

#include <cstdint>
#include <streamweave/streamweave.hpp>

#include "pipeline_p.hpp"

namespace sw::bench {

inline auto keyed_events(sw::Graph& g, std::uint64_t n) {
  return g.source("events", sw::generate<Event>(n, [](std::uint64_t i) { return make_event(i); }))
      .map("to-euro",
           [](Event e) {
             to_euro(e);
             return e;
           })
      .filter("sample", [](const Event& e) { return keep(e); })
      .key_by([](const Event& e) { return e.auction; });
}

}  // namespace sw::bench
