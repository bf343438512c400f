// Operator state: each instance of a stateful operator (windows, joins) keeps its state in a
// keyed store, one per instance, behind one interface so that the report (and, later,
// checkpoints) can see every store the same way.
//
// A store belongs to one operator instance and is used by its task only.
#pragma once

#include <algorithm>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstddef>
#include <functional>
#include <utility>

#include "streamweave/engine/instance.hpp"

namespace sw {

class StateStore {
 public:
  virtual ~StateStore() = default;
  // Entries held now (keys, or windows: what the operator counts).
  [[nodiscard]] virtual std::size_t entries() const noexcept = 0;
  // Approximate bytes held now.
  [[nodiscard]] virtual std::size_t bytes() const noexcept = 0;

  // Keeps the most entries and the most bytes so far in the instance's metrics (each its own
  // peak: a few windows can hold many items).
  void record_peak(InstanceMetrics& metrics) const noexcept {
    metrics.state_entries = std::max<std::uint64_t>(metrics.state_entries, entries());
    metrics.state_bytes = std::max<std::uint64_t>(metrics.state_bytes, bytes());
  }
};

// A hash map from K to V (Boost's flat map: open addressing, no node per entry). Entries are
// its keys unless the operator says otherwise (set_entries); bytes add what the operator
// reports beyond the map's own slots (add_bytes).
template <class K, class V>
class KeyedState final : public StateStore {
 public:
  using Map = boost::unordered_flat_map<K, V, std::hash<K>>;

  [[nodiscard]] Map& map() noexcept { return map_; }
  [[nodiscard]] const Map& map() const noexcept { return map_; }

  void set_entries(std::size_t n) noexcept { entries_ = n; }
  void add_bytes(std::ptrdiff_t n) noexcept { extra_bytes_ += n; }

  [[nodiscard]] std::size_t entries() const noexcept override {
    return entries_ != kUseKeys ? entries_ : map_.size();
  }
  [[nodiscard]] std::size_t bytes() const noexcept override {
    const auto slots = static_cast<std::ptrdiff_t>(map_.bucket_count() * sizeof(std::pair<K, V>));
    const std::ptrdiff_t total = slots + extra_bytes_;
    return total > 0 ? static_cast<std::size_t>(total) : 0;
  }

 private:
  static constexpr std::size_t kUseKeys = static_cast<std::size_t>(-1);
  Map map_;
  std::size_t entries_ = kUseKeys;
  std::ptrdiff_t extra_bytes_ = 0;
};

}  // namespace sw
