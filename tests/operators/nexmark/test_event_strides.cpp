// EventStrides: the events NEXMark source instances make, each exactly once, however often
// the run is restored into another parallelism, and the instances unevenly advanced.
#include <catch2/catch.hpp>
#include <streamweave/operators/nexmark/event_strides.hpp>

#include <random>
#include <set>
#include <vector>

namespace {

constexpr std::uint64_t kEvents = 5000;

// Makes up to `count` events of `strides` (fewer at the end), into `made`: each once.
void make(sw::nexmark::EventStrides& strides, std::uint64_t count, std::set<std::uint64_t>& made) {
  for (std::uint64_t n = 0; n < count && strides.next() < kEvents; strides.advance()) {
    if (strides.made_before()) continue;
    CHECK(made.insert(strides.next()).second);
    ++n;
  }
}

std::vector<sw::nexmark::EventStrides> restored(const std::vector<sw::SavedState>& saved,
                                                unsigned parallelism) {
  std::vector<sw::nexmark::EventStrides> instances;
  for (unsigned i = 0; i < parallelism; ++i) {
    instances.emplace_back(i, parallelism);
    std::vector<sw::SavedState> files = saved;
    if (saved.size() == parallelism) files = {saved[i]};
    sw::StateReader state(files, i, parallelism);
    instances.back().restore(state, "events");
  }
  return instances;
}

}  // namespace

TEST_CASE("NEXMark event strides restored again and again make each event once") {
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 50; ++round) {
    std::vector<unsigned> layouts{1 + static_cast<unsigned>(rng() % 4)};
    for (int k = 0; k < 4; ++k) layouts.push_back(1 + static_cast<unsigned>(rng() % 4));
    INFO("layouts " << layouts[0] << " " << layouts[1] << " " << layouts[2] << " " << layouts[3]
                    << " " << layouts[4]);
    std::vector<sw::nexmark::EventStrides> instances;
    for (unsigned i = 0; i < layouts[0]; ++i) instances.emplace_back(i, layouts[0]);
    std::set<std::uint64_t> made;
    for (std::size_t l = 1; l < layouts.size(); ++l) {
      // Unevenly: one instance may stay far behind the others, and a run restored into
      // another layout is stopped before it passes the events the one before had made.
      std::vector<sw::SavedState> saved;
      for (unsigned i = 0; i < instances.size(); ++i) {
        make(instances[i], rng() % 200, made);
        sw::StateWriter w;
        instances[i].snapshot(w);
        saved.push_back({i, static_cast<unsigned>(instances.size()), w.finish(), "s"});
      }
      instances = restored(saved, layouts[l]);
    }
    for (auto& instance : instances) make(instance, kEvents, made);
    CHECK(made.size() == kEvents);
  }
}

TEST_CASE("NEXMark event strides refuse a checkpoint whose instances do not each hold a stride") {
  std::vector<sw::SavedState> saved;
  for (unsigned i = 0; i < 2; ++i) {
    sw::nexmark::EventStrides strides(0, 2);  // both instance 0
    sw::StateWriter w;
    strides.snapshot(w);
    saved.push_back({i, 2, w.finish(), "s"});
  }
  sw::StateReader state(saved, 0, 3);
  sw::nexmark::EventStrides strides(0, 3);
  CHECK_THROWS_WITH(strides.restore(state, "events"),
                    Catch::Contains("node 'events'") && Catch::Contains("one stride"));
}
