#include <catch2/catch.hpp>
#include <streamweave/serde/str_arena.hpp>

#include <string>
#include <vector>

TEST_CASE("StrArena hands out slices of shared chunks that outlive the arena", "[serde]") {
  sw::BufferPool pool;
  std::vector<sw::Str> kept;
  std::vector<std::string> expected;
  {
    sw::StrArena arena(pool, 256);
    for (int i = 0; i < 200; ++i) {
      const std::string text(static_cast<std::size_t>(i % 40), static_cast<char>('a' + i % 26));
      kept.push_back(arena.copy(text));
      expected.push_back(text);
    }
    // A string larger than a chunk gets a chunk of its own.
    const std::string big(1000, 'z');
    kept.push_back(arena.copy(big));
    expected.push_back(big);
    // reserve + commit of fewer bytes than reserved.
    char* at = arena.reserve(10);
    at[0] = 'o';
    at[1] = 'k';
    kept.push_back(arena.commit(2));
    expected.push_back("ok");
  }
  REQUIRE(kept.size() == expected.size());
  for (std::size_t i = 0; i < kept.size(); ++i) CHECK(kept[i] == expected[i]);
  // Strings share chunks: far fewer buffers than strings.
  CHECK(pool.stats().acquired < 60);
  CHECK(kept[0].empty());
}
