#include "streamweave/runtime/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace sw {

NodeReport& NodeReport::operator+=(const NodeReport& other) noexcept {
  static_cast<NodeCounters&>(*this) += other;
  busy_seconds += other.busy_seconds;
  blocked_seconds += other.blocked_seconds;
  latency.merge(other.latency);
  first_errors.insert(first_errors.end(), other.first_errors.begin(), other.first_errors.end());
  return *this;
}

namespace {
using ReportMembers =
    boost::describe::describe_members<NodeReport,
                                      boost::describe::mod_public | boost::describe::mod_inherited>;
}  // namespace

void sw_encode(BinaryWriter& w, const NodeReport& report) {
  boost::mp11::mp_for_each<ReportMembers>([&](auto member) { w.write(report.*member.pointer); });
}

void sw_decode(BinaryReader& r, NodeReport& report) {
  boost::mp11::mp_for_each<ReportMembers>([&](auto member) { r.read(report.*member.pointer); });
}

EdgeReport& EdgeReport::operator+=(const EdgeReport& other) noexcept {
  frames_sent += other.frames_sent;
  bytes_sent += other.bytes_sent;
  frames_received += other.frames_received;
  bytes_received += other.bytes_received;
  remote_frames_sent += other.remote_frames_sent;
  encode_seconds += other.encode_seconds;
  decode_seconds += other.decode_seconds;
  credit_stalls += other.credit_stalls;
  peak_frames_in_flight = std::max(peak_frames_in_flight, other.peak_frames_in_flight);
  return *this;
}

const NodeReport& RunReport::node(std::string_view name) const {
  for (const NodeReport& n : nodes) {
    if (n.name == name) return n;
  }
  throw std::out_of_range("run report of graph '" + graph + "' has no node '" + std::string(name) +
                          "'");
}

namespace {

// "0,1,0,1" as "0-1": instance i runs on rank i % ranks, so the ranks used are a prefix.
std::string placement(const std::vector<std::uint32_t>& ranks) {
  if (ranks.empty()) return "";
  std::uint32_t top = 0;
  for (std::uint32_t r : ranks) top = std::max(top, r);
  return top == 0 ? "0" : fmt::format("0-{}", top);
}

}  // namespace

namespace {

// Busy and blocked as shares of the node's instances' time (fused nodes share their chain's).
std::string node_table(const RunReport& r, bool distributed) {
  std::string out = fmt::format("{:<20} {:<16} {:>3} {:>12} {:>12} {:>7} {:>9} {:>8}{}\n", "node",
                                "op", "par", "items in", "items out", "busy %", "blocked %",
                                "errors", distributed ? "  ranks" : "");
  const auto share = [&r](double seconds, unsigned parallelism) {
    const double available = r.wall_seconds * static_cast<double>(parallelism);
    return available > 0 ? std::min(100.0, 100.0 * seconds / available) : 0.0;
  };
  for (const NodeReport& n : r.nodes) {
    out +=
        fmt::format("{:<20} {:<16} {:>3} {:>12} {:>12} {:>7.1f} {:>9.1f} {:>8}{}\n", n.name, n.op,
                    n.parallelism, n.items_in, n.items_out, share(n.busy_seconds, n.parallelism),
                    share(n.blocked_seconds, n.parallelism), n.errors_skipped + n.dead_lettered,
                    distributed ? "  " + placement(n.ranks) : "");
  }
  return out;
}

std::string first_errors(const RunReport& r) {
  std::string out;
  for (const NodeReport& n : r.nodes) {
    const std::uint64_t errors = n.errors_skipped + n.dead_lettered;
    if (n.first_errors.empty()) continue;
    out += fmt::format("{} error{} skipped at {}; the first:\n", errors, errors == 1 ? "" : "s",
                       n.name);
    for (const std::string& e : n.first_errors) out += "  " + e + "\n";
  }
  return out;
}

std::string latency_table(const RunReport& r) {
  const bool any = std::any_of(r.nodes.begin(), r.nodes.end(),
                               [](const NodeReport& n) { return !n.latency.counts.empty(); });
  if (!any) return "";
  std::string out = fmt::format("{:<20} {:>12} {:>10} {:>10} {:>10} {:>10}\n", "latency (ms)",
                                "items", "p50", "p99", "p99.9", "max");
  const auto ms = [](std::int64_t ns) { return static_cast<double>(ns) / 1e6; };
  for (const NodeReport& n : r.nodes) {
    if (n.latency.counts.empty()) continue;
    out +=
        fmt::format("{:<20} {:>12} {:>10.3f} {:>10.3f} {:>10.3f} {:>10.3f}\n", n.name,
                    n.latency.count(), ms(n.latency.percentile(50)), ms(n.latency.percentile(99)),
                    ms(n.latency.percentile(99.9)), ms(n.latency.max_ns));
  }
  return out;
}

std::string state_table(const RunReport& r) {
  const auto stateful = [](const NodeReport& n) {
    return n.state_entries != 0 || n.late_dropped != 0;
  };
  if (std::none_of(r.nodes.begin(), r.nodes.end(), stateful)) return "";
  std::string out = fmt::format("{:<20} {:>14} {:>12} {:>12}\n", "stateful node", "state entries",
                                "state MiB", "late items");
  for (const NodeReport& n : r.nodes) {
    if (!stateful(n)) continue;
    out += fmt::format("{:<20} {:>14} {:>12.2f} {:>12}\n", n.name, n.state_entries,
                       static_cast<double>(n.state_bytes) / (1 << 20), n.late_dropped);
  }
  return out;
}

std::string edge_table(const RunReport& r) {
  if (r.edges.empty()) return "";
  std::string out = fmt::format("{:<32} {:>9} {:>10} {:>10} {:>9} {:>9} {:>7}\n", "exchange edge",
                                "frames", "MiB", "remote fr", "encode s", "decode s", "stalls");
  for (const EdgeReport& e : r.edges) {
    out += fmt::format("{:<32} {:>9} {:>10.2f} {:>10} {:>9.3f} {:>9.3f} {:>7}\n",
                       e.from + " -> " + e.to + " (" + e.partitioning + ")", e.frames_sent,
                       static_cast<double>(e.bytes_sent) / (1 << 20), e.remote_frames_sent,
                       e.encode_seconds, e.decode_seconds, e.credit_stalls);
  }
  return out;
}

}  // namespace

namespace {

// What the checkpoints did, when the run took any or started from one.
std::string checkpoint_lines(const CheckpointReport& c) {
  std::string out;
  for (const std::string& skipped : c.skipped) out += "checkpoint skipped: " + skipped + "\n";
  if (c.completed == 0 && c.failed == 0 && c.restored_from == 0) return out;
  out += fmt::format("checkpoints {} completed", c.completed);
  if (c.unaligned != 0) out += fmt::format(" ({} unaligned)", c.unaligned);
  out += fmt::format(", {} failed", c.failed);
  if (c.restored_from != 0) out += fmt::format(" | restored from {}", c.restored_from);
  if (c.savepoint != 0) out += fmt::format(" | savepoint {} at the stop", c.savepoint);
  if (c.last_id != 0) {
    out += fmt::format(" | last {}: {:.1f} ms, {} bytes, aligned in {:.1f} ms", c.last_id,
                       c.last_duration_seconds * 1e3, c.last_bytes, c.last_alignment_seconds * 1e3);
    if (c.last_in_flight_bytes != 0) {
      out += fmt::format(", {} bytes in flight", c.last_in_flight_bytes);
    }
  }
  out += "\n";
  for (const std::string& error : c.errors) out += "  " + error + "\n";
  return out;
}

}  // namespace

std::string RunReport::summary() const {
  const bool distributed = mode == "distributed";
  const std::string where =
      distributed ? fmt::format("{} rank{} × {} threads", ranks, ranks == 1 ? "" : "s", threads)
                  : fmt::format("{} threads", threads);
  std::string out = fmt::format("graph '{}' {} in {:.3f} s on {}, {} tasks\n", graph,
                                status == Status::completed ? "completed" : "cancelled",
                                wall_seconds, where, tasks);
  out += node_table(*this, distributed);
  out += first_errors(*this);
  out += latency_table(*this);
  out += state_table(*this);
  out += edge_table(*this);
  out += checkpoint_lines(checkpoints);
  out += fmt::format("events {} | {:.3f} M events/s | batch reuse {:.1f} %\n", events,
                     events_per_second / 1e6, batch_reuse_rate() * 100.0);
  out += fmt::format("buffer pool reuse {:.1f} % of {} | memory {} | peak RSS {:.1f} MiB\n",
                     buffer_pool.reuse_rate() * 100.0, buffer_pool.acquired,
                     to_string(memory_pressure), static_cast<double>(peak_rss_bytes) / (1 << 20));
  if (source_throttles + source_pauses != 0) {
    out +=
        fmt::format("sources slowed by memory pressure: {} throttled steps, {} pauses of 10 ms\n",
                    source_throttles, source_pauses);
  }
  return out;
}

}  // namespace sw
