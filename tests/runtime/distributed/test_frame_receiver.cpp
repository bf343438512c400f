// The consumer end of an exchange edge (runtime/src/distributed/frame_receiver.cpp): an Inbox
// takes only the frames its edge expects, in sequence, and says which peer and edge sent a bad
// one; a FrameReceiver queues raw frames, wakes its task, gives credits back and decodes.
#include <catch2/catch.hpp>
#include <streamweave/streamweave.hpp>

#include "../../../runtime/src/distributed/frame_receiver.hpp"
#include "../../../runtime/src/run_context.hpp"

namespace {

std::vector<int> items_of(const sw::runtime::Event& event) {
  const auto* batch = std::get_if<sw::BatchRef>(&event.signal);
  REQUIRE(batch != nullptr);
  const auto& items = static_cast<sw::Batch<int>&>(**batch).items;
  return {items.begin(), items.end()};
}

struct Fixture {
  sw::TypedBatchCodec<int> codec;
  sw::BatchPool<int> pool;
  // Edge 3 into consumer instance 1, fed by 2 producer instances (input slots 5 and 6);
  // this is rank 1.
  sw::runtime::Inbox inbox{codec, pool, 3, 1, 2, 5, "'a' -> 'b'", 1, sw::FrameLimits{}};

  static sw::Bytes frame(std::uint32_t edge, std::uint32_t source, std::uint32_t target,
                         std::uint64_t sequence, std::vector<int> items) {
    sw::FrameHeader header;
    header.edge = edge;
    header.source_instance = source;
    header.target_instance = target;
    header.sequence = sequence;
    std::vector<sw::Bytes> out;
    (void)sw::encode_frames(std::span<const int>(items), header, out);
    return out.at(0);
  }
  std::vector<int> take(const sw::Bytes& bytes, int from_rank = 0) {
    sw::runtime::Event event = inbox.take(bytes, std::nullopt, from_rank);
    return items_of(event);
  }
};

}  // namespace

TEST_CASE("an inbox decodes its edge's frames in sequence per producer") {
  Fixture f;
  CHECK(f.take(Fixture::frame(3, 0, 1, 0, {1, 2, 3})) == std::vector<int>{1, 2, 3});
  CHECK(f.take(Fixture::frame(3, 1, 1, 0, {7})) == std::vector<int>{7});
  CHECK(f.take(Fixture::frame(3, 0, 1, 1, {4})) == std::vector<int>{4});
  CHECK(f.inbox.frames == 3);
}

TEST_CASE("an inbox refuses unexpected frames, naming this rank, the peer and the edge") {
  Fixture f;
  SECTION("a lost frame") {
    (void)f.take(Fixture::frame(3, 0, 1, 0, {1}));
    CHECK_THROWS_WITH(f.take(Fixture::frame(3, 0, 1, 2, {1}), 2),
                      Catch::StartsWith("rank 1: bad frame from rank 2 on edge 'a' -> 'b'") &&
                          Catch::Contains("out of sequence (expected #1)"));
  }
  SECTION("a frame for another edge or instance") {
    CHECK_THROWS_WITH(f.take(Fixture::frame(4, 0, 1, 0, {1})),
                      Catch::Contains("addressed to edge 4 instance 1"));
    CHECK_THROWS_WITH(f.take(Fixture::frame(3, 0, 0, 0, {1})),
                      Catch::Contains("addressed to edge 3 instance 0"));
  }
  SECTION("a producer instance the edge does not have") {
    CHECK_THROWS_WITH(f.take(Fixture::frame(3, 5, 1, 0, {1})),
                      Catch::Contains("producer instance 5, but the edge has 2"));
  }
  SECTION("a frame after end-of-stream, and a second end") {
    CHECK(f.inbox.end(0, 0) == 5);
    CHECK_THROWS_WITH(f.take(Fixture::frame(3, 0, 1, 0, {1})),
                      Catch::Contains("arrived after its end-of-stream"));
    CHECK_THROWS_WITH(f.inbox.end(0, 0), Catch::Contains("a second end-of-stream"));
    CHECK_NOTHROW(f.inbox.end(1, 0));
  }
  SECTION("a truncated or corrupt frame") {
    const sw::Bytes good = Fixture::frame(3, 0, 1, 0, {1, 2});
    CHECK_THROWS_AS(f.take(good.slice(0, good.size() - 1)), sw::ExchangeError);
    sw::Bytes copy = sw::Bytes::copy_of(good.span());
    const_cast<std::byte*>(copy.data())[copy.size() - 1] ^= std::byte{1};
    CHECK_THROWS_WITH(f.take(copy), Catch::Contains("checksum"));
  }
}

TEST_CASE("an inbox passes on watermark frames in sequence with the item frames") {
  Fixture f;
  (void)f.take(Fixture::frame(3, 1, 1, 0, {1}));
  sw::FrameHeader header;
  header.edge = 3;
  header.source_instance = 1;
  header.target_instance = 1;
  header.sequence = 1;
  const sw::runtime::Event mark =
      f.inbox.take(sw::make_watermark_frame(header, 12345), std::nullopt, 0);
  REQUIRE(std::holds_alternative<sw::runtime::Watermark>(mark.signal));
  CHECK(std::get<sw::runtime::Watermark>(mark.signal).time == 12345);
  CHECK(mark.slot == 6);
  CHECK(f.take(Fixture::frame(3, 1, 1, 2, {2})) == std::vector<int>{2});
  // A watermark frame out of sequence is refused like any frame.
  header.sequence = 7;
  CHECK_THROWS_WITH(f.inbox.take(sw::make_watermark_frame(header, 1), std::nullopt, 0),
                    Catch::Contains("out of sequence"));
}

TEST_CASE("an inbox passes on barrier frames in sequence with the item frames") {
  Fixture f;
  (void)f.take(Fixture::frame(3, 0, 1, 0, {1}));
  sw::FrameHeader header;
  header.edge = 3;
  header.source_instance = 0;
  header.target_instance = 1;
  header.sequence = 1;
  const sw::runtime::Event barrier =
      f.inbox.take(sw::make_barrier_frame(header, 42), std::nullopt, 0);
  REQUIRE(std::holds_alternative<sw::runtime::Barrier>(barrier.signal));
  CHECK(std::get<sw::runtime::Barrier>(barrier.signal).id == 42);
  CHECK(barrier.slot == 5);
  CHECK(f.take(Fixture::frame(3, 0, 1, 2, {2})) == std::vector<int>{2});
  header.sequence = 9;
  CHECK_THROWS_WITH(f.inbox.take(sw::make_barrier_frame(header, 43), std::nullopt, 0),
                    Catch::Contains("out of sequence"));
}

namespace {

// Takes the tasks a wake schedules, without running them.
struct RecordingRunner final : sw::runtime::TaskRunner {
  std::vector<sw::runtime::Task*> woken;
  void enqueue(sw::runtime::Task& task) override { woken.push_back(&task); }
};

sw::runtime::IncomingFrame incoming(sw::Bytes frame, int from_rank = -1) {
  sw::runtime::IncomingFrame in;
  in.frame = std::move(frame);
  in.from_rank = from_rank;
  return in;
}

struct RecordingCredits final : sw::runtime::CreditReturn {
  std::vector<std::pair<int, std::uint32_t>> returned;
  void return_credit(int rank, std::uint32_t route) noexcept override {
    returned.emplace_back(rank, route);
  }
};

}  // namespace

TEST_CASE("a frame receiver queues raw frames, wakes its task, returns credits and decodes") {
  Fixture f;
  const sw::RunOptions options;
  sw::runtime::RunContext run(1, options);
  RecordingRunner runner;
  run.run_tasks_on(runner);
  sw::runtime::Task consumer(run, 0, 1);
  sw::runtime::Task producer(run, 0, 0);
  RecordingCredits credits;
  // Route 9, room for 2 frames: the local producer's whole share.
  sw::runtime::FrameReceiver receiver(std::move(f.inbox), 9, credits, 2, consumer);
  const std::uint32_t local = receiver.frames().add_producer(producer);
  moodycamel::ProducerToken token(receiver.frames().queue());

  sw::runtime::Event event;
  CHECK(receiver.empty());
  CHECK_FALSE(receiver.pull(event));

  // A frame handed over in memory by producer instance 0, then one from rank 2 (instance 1).
  receiver.frames().push(token, local, incoming(Fixture::frame(3, 0, 1, 0, {1, 2})));
  CHECK(runner.woken == std::vector<sw::runtime::Task*>{&consumer});
  CHECK(receiver.frames().has_room(local));
  receiver.frames().push(token, local, incoming(Fixture::frame(3, 0, 1, 1, {3})));
  CHECK_FALSE(receiver.frames().has_room(local));
  receiver.frames().push(token, sw::runtime::kUncountedProducer,
                         incoming(Fixture::frame(3, 1, 1, 0, {7}), 2));

  REQUIRE(receiver.pull(event));
  CHECK(items_of(event) == std::vector<int>{1, 2});
  CHECK(event.slot == 5);
  // The producer's share stopped being full: it is woken to send again.
  CHECK(receiver.frames().has_room(local));
  CHECK(runner.woken == std::vector<sw::runtime::Task*>{&consumer, &producer});
  REQUIRE(receiver.pull(event));
  CHECK(items_of(event) == std::vector<int>{3});
  CHECK(credits.returned.empty());  // frames of this rank are bounded by shares, not credits
  REQUIRE(receiver.pull(event));
  CHECK(items_of(event) == std::vector<int>{7});
  CHECK(event.slot == 6);
  CHECK(credits.returned == std::vector<std::pair<int, std::uint32_t>>{{2, 9}});

  // End-of-stream of producer instance 1: its slot, and a second one is refused.
  sw::runtime::IncomingFrame end;
  end.source = 1;
  receiver.frames().push(token, local, end);
  REQUIRE(receiver.pull(event));
  CHECK(std::holds_alternative<sw::runtime::EndOfStream>(event.signal));
  CHECK(event.slot == 6);
  receiver.frames().push(token, local, end);
  CHECK_THROWS_WITH(receiver.pull(event), Catch::Contains("a second end-of-stream"));
  CHECK(receiver.empty());
  CHECK(receiver.inbox().frames == 3);
  // The run ends only once every scheduled task ran: cancelled, each just finishes.
  run.cancel();
  for (sw::runtime::Task* task : runner.woken) run.execute(*task);
}
