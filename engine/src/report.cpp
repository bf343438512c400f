#include "streamweave/engine/report.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace sw {

const NodeReport& RunReport::node(std::string_view name) const {
  for (const NodeReport& n : nodes) {
    if (n.name == name) return n;
  }
  throw std::out_of_range("run report of graph '" + graph + "' has no node '" + std::string(name) +
                          "'");
}

std::string RunReport::summary() const {
  std::string out = fmt::format("graph '{}' {} in {:.3f} s on {} threads, {} tasks\n", graph,
                                status == Status::completed ? "completed" : "cancelled",
                                wall_seconds, threads, tasks);
  out += fmt::format("{:<20} {:<10} {:>3} {:>12} {:>12} {:>9} {:>9} {:>8}\n", "node", "op", "par",
                     "items in", "items out", "busy s", "blocked s", "errors");
  for (const NodeReport& n : nodes) {
    out += fmt::format("{:<20} {:<10} {:>3} {:>12} {:>12} {:>9.3f} {:>9.3f} {:>8}\n", n.name, n.op,
                       n.parallelism, n.items_in, n.items_out, n.busy_seconds, n.blocked_seconds,
                       n.errors_skipped + n.dead_lettered);
  }
  out += fmt::format("events {} | {:.3f} M events/s | batch reuse {:.1f} %\n", events,
                     events_per_second / 1e6, batch_reuse_rate() * 100.0);
  out += fmt::format("buffer pool reuse {:.1f} % of {} | memory {} | peak RSS {:.1f} MiB\n",
                     buffer_pool.reuse_rate() * 100.0, buffer_pool.acquired,
                     to_string(memory_pressure), static_cast<double>(peak_rss_bytes) / (1 << 20));
  return out;
}

}  // namespace sw
