#include "streamweave/operators/nexmark/event_strides.hpp"

#include <algorithm>
#include <utility>

#include "streamweave/serde/binary.hpp"

namespace sw::nexmark {

namespace {

struct Position {
  std::uint64_t next = 0;
  std::uint64_t stride = 1;
  std::vector<std::vector<std::uint64_t>> earlier;  // absent in checkpoints before it was saved
};

Position read_position(const Bytes& values) {
  BinaryReader r(values);
  Position p;
  r.read(p.next);
  r.read(p.stride);
  if (r.remaining() != 0) r.read(p.earlier);
  return p;
}

std::uint64_t highest_of(const std::vector<std::vector<std::uint64_t>>& layouts) {
  std::uint64_t highest = 0;
  for (const auto& positions : layouts) {
    for (const std::uint64_t p : positions) highest = std::max(highest, p);
  }
  return highest;
}

}  // namespace

void EventStrides::snapshot(StateWriter& state) {
  // A layout whose every position this instance has passed has nothing left to skip.
  std::erase_if(earlier_, [this](const std::vector<std::uint64_t>& positions) {
    return *std::max_element(positions.begin(), positions.end()) <= next_;
  });
  state.value(next_);
  state.value(stride_);
  state.value(earlier_);
}

void EventStrides::restore(StateReader& state, const std::string& node) {
  if (state.same_layout()) {
    Position p = read_position(state.values());
    next_ = p.next;
    earlier_ = std::move(p.earlier);
    made_below_ = highest_of(earlier_);
    return;
  }
  // Saved with n instances, instance i had made every event k = i (mod n) below its next (and
  // skipped those the layouts before had made): this instance makes the rest of its own
  // stride, skipping what any of them made.
  std::vector<Position> saved;
  for (const Bytes& values : state.all_values()) saved.push_back(read_position(values));
  const std::uint64_t n = saved.size();
  std::vector<std::uint64_t> positions(n, 0);
  std::vector<bool> seen(n, false);
  earlier_.clear();
  for (Position& p : saved) {
    if (p.stride != n || seen[p.next % n]) {
      throw StateError("node '" + node + "': the checkpoint's " + std::to_string(n) +
                       " instances do not each hold one stride of the events");
    }
    seen[p.next % n] = true;
    positions[p.next % n] = p.next;
    for (auto& layout : p.earlier) {
      if (std::find(earlier_.begin(), earlier_.end(), layout) == earlier_.end()) {
        earlier_.push_back(std::move(layout));
      }
    }
  }
  const std::uint64_t lowest = *std::min_element(positions.begin(), positions.end());
  earlier_.push_back(std::move(positions));
  made_below_ = highest_of(earlier_);
  // The first event of this instance's stride at or after the lowest position: every event
  // below it was made.
  next_ = lowest + (instance_ + stride_ - lowest % stride_) % stride_;
}

}  // namespace sw::nexmark
