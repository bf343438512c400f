// Barrier alignment: what a slot sends after its barrier waits until every open slot has sent
// it; an ended slot counts as arrived; the held events come back first, in order.
#include <catch2/catch.hpp>

#include "../../../runtime/src/checkpoint/barrier_alignment.hpp"

namespace {

sw::runtime::Event mark(std::uint32_t slot, sw::EventTime time) {
  return sw::runtime::Event{sw::runtime::Watermark{time}, slot};
}

sw::EventTime time_of(const sw::runtime::Event& e) {
  return std::get<sw::runtime::Watermark>(e.signal).time;
}

}  // namespace

TEST_CASE("a barrier aligns once every open slot has sent it") {
  sw::runtime::BarrierAlignment a;
  a.set_slots(3);
  CHECK_FALSE(a.holds(0));
  CHECK_FALSE(a.arrive(0, 5));
  CHECK(a.holds(0));
  CHECK_FALSE(a.holds(1));
  sw::runtime::Event e = mark(0, 1);
  a.hold(std::move(e));
  e = mark(0, 2);
  a.hold(std::move(e));
  CHECK_FALSE(a.ended(2));  // ended: no barrier will come from it
  CHECK(a.aligning() == 5);
  CHECK_FALSE(a.waits_for(0));  // arrived
  CHECK(a.waits_for(1));
  CHECK_FALSE(a.waits_for(2));  // ended
  CHECK(a.arrive(1, 5));
  std::deque<sw::runtime::Event> replay{mark(1, 9)};  // taken after the held ones
  sw::Clock::duration waited{};
  CHECK(a.finish(replay, waited) == 5);
  REQUIRE(replay.size() == 3);
  CHECK(time_of(replay[0]) == 1);
  CHECK(time_of(replay[1]) == 2);
  CHECK(time_of(replay[2]) == 9);
  CHECK(waited >= sw::Clock::duration::zero());
  // Ready for the next one; slot 2 stays ended.
  CHECK_FALSE(a.holds(0));
  CHECK_FALSE(a.arrive(1, 6));
  CHECK(a.arrive(0, 6));
}

TEST_CASE("an end of input completes an alignment in progress") {
  sw::runtime::BarrierAlignment a;
  a.set_slots(2);
  CHECK_FALSE(a.ended(1));  // no alignment in progress
  a.set_slots(2);
  CHECK_FALSE(a.arrive(0, 1));
  CHECK(a.ended(1));
}
