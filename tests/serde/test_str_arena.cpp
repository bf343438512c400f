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

TEST_CASE("StrArena's chunks go back to the pool once the arena and every string are gone",
          "[serde]") {
  // Through a move, a move-assignment, a chunk switch and the destructor.
  sw::BufferPool pool;
  std::vector<sw::Str> kept;
  {
    sw::StrArena first(pool, 4096);
    // Many strings in one chunk.
    for (int i = 0; i < 1000; ++i) kept.push_back(first.copy(std::string(1, 'a' + i % 26)));
    sw::StrArena second(std::move(first));
    kept.push_back(second.copy("moved"));
    sw::StrArena third(pool, 4096);
    kept.push_back(third.copy("third"));
    third = std::move(second);
    kept.push_back(third.copy("assigned"));
    // Past the chunk's end: a new chunk.
    for (int i = 0; i < 100; ++i) kept.push_back(third.copy(std::string(100, 'z')));
    CHECK(pool.stats().outstanding_bytes > 0);
  }
  REQUIRE(kept.size() == 1103);
  CHECK(kept[999] == "l");
  CHECK(kept[1000] == "moved");
  CHECK(kept[1001] == "third");
  CHECK(kept[1002] == "assigned");
  CHECK(kept[1102] == std::string(100, 'z'));
  CHECK(pool.stats().outstanding_bytes > 0);  // the strings hold their chunks
  kept.clear();
  CHECK(pool.stats().outstanding_bytes == 0);
}
