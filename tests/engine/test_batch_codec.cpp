// The batch codec: a batch's items to frames and back, a view's selected items included.
#include <catch2/catch.hpp>
#include <cstdint>
#include <streamweave/engine/batch_codec.hpp>
#include <string>
#include <vector>

namespace {

std::vector<std::string> round_trip(const sw::BatchBase& batch, sw::BatchPool<std::string>& pool) {
  const sw::TypedBatchCodec<std::string> codec;
  std::vector<sw::SplicedFrame> frames;
  (void)codec.encode(batch, sw::FrameHeader{}, frames, sw::FrameLimits{}, sw::BufferPool::global());
  std::vector<std::string> out;
  for (const sw::SplicedFrame& frame : frames) {
    const sw::BatchRef decoded = codec.decode(sw::parse_frame(frame.flatten()), pool);
    const auto& items = static_cast<const sw::Batch<std::string>&>(*decoded).items;
    out.insert(out.end(), items.begin(), items.end());
  }
  return out;
}

}  // namespace

TEST_CASE("a batch and a view of it encode to the items they hold") {
  sw::BatchPool<std::string> pool;
  auto source = pool.acquire(5);
  for (int i = 0; i < 5; ++i) source->items.push_back("item " + std::to_string(i));
  CHECK(round_trip(*source, pool) ==
        std::vector<std::string>{"item 0", "item 1", "item 2", "item 3", "item 4"});
  auto view = pool.acquire(0);
  view->viewed = source;
  for (std::uint32_t at : {4u, 0u, 2u}) view->selection.push_back(at);
  CHECK(round_trip(*view, pool) == std::vector<std::string>{"item 4", "item 0", "item 2"});
}
