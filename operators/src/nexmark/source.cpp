#include "streamweave/operators/nexmark/source.hpp"

#include <algorithm>
#include <string>

namespace sw::nexmark {

void NexmarkSource::restore(StateReader& state) {
  struct Position {
    std::uint64_t next = 0;
    std::uint64_t stride = 1;
  };
  const auto read = [](const Bytes& values) {
    BinaryReader r(values);
    Position p;
    r.read(p.next);
    r.read(p.stride);
    return p;
  };
  if (state.same_layout()) {
    next_ = read(state.values()).next;
    return;
  }
  // Saved with n instances, instance i had made every event k = i (mod n) below its next:
  // this instance now makes the rest of its own stride, skipping what they made.
  std::vector<Position> saved;
  for (const Bytes& values : state.all_values()) saved.push_back(read(values));
  const std::uint64_t n = saved.size();
  saved_next_.assign(n, 0);
  std::vector<bool> seen(n, false);
  for (const Position& p : saved) {
    if (p.stride != n || seen[p.next % n]) {
      throw StateError("node '" + *this->ctx_.node + "': the checkpoint's " + std::to_string(n) +
                       " instances do not each hold one stride of the events");
    }
    seen[p.next % n] = true;
    saved_next_[p.next % n] = p.next;
  }
  const auto [lowest, highest] = std::minmax_element(saved_next_.begin(), saved_next_.end());
  made_below_ = *highest;
  // The first event of this instance's stride at or after the lowest position.
  next_ = *lowest + (this->ctx_.instance + stride_ - *lowest % stride_) % stride_;
}

}  // namespace sw::nexmark
