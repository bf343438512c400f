// NodeCounters: what a node counts, declared once. An instance's task counts into its own
// (InstanceMetrics); the runtime sums them over instances and ranks, sends them between
// ranks, and writes them out (report, JSON) by reflection over this one list, so a new
// counter is one line here and one name in BOOST_DESCRIBE_STRUCT.
#pragma once

#include <boost/describe.hpp>
#include <boost/mp11/algorithm.hpp>
#include <cstdint>

namespace sw {

struct NodeCounters {
  std::uint64_t items_in = 0;
  std::uint64_t items_out = 0;
  std::uint64_t batches_in = 0;
  std::uint64_t batches_out = 0;
  std::uint64_t errors_skipped = 0;
  std::uint64_t retries = 0;
  std::uint64_t dead_lettered = 0;
  std::uint64_t late_dropped = 0;   // event time: items that came after their windows closed
  std::uint64_t state_entries = 0;  // keyed state: the most entries held (summed over instances)
  std::uint64_t state_bytes = 0;    // ... and the most bytes (approximate, summed likewise)
};
BOOST_DESCRIBE_STRUCT(NodeCounters, (),
                      (items_in, items_out, batches_in, batches_out, errors_skipped, retries,
                       dead_lettered, late_dropped, state_entries, state_bytes))

// Calls f(name, value) for each counter of `counters`, in the order declared above.
template <class F>
void for_each_counter(const NodeCounters& counters, F&& f) {
  using Members = boost::describe::describe_members<NodeCounters, boost::describe::mod_public>;
  boost::mp11::mp_for_each<Members>([&](auto member) { f(member.name, counters.*member.pointer); });
}

// Adds each counter of `other`: the same node's instances, or its share on another rank.
inline NodeCounters& operator+=(NodeCounters& counters, const NodeCounters& other) noexcept {
  using Members = boost::describe::describe_members<NodeCounters, boost::describe::mod_public>;
  boost::mp11::mp_for_each<Members>(
      [&](auto member) { counters.*member.pointer += other.*member.pointer; });
  return counters;
}

}  // namespace sw
