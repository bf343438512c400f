#include <catch2/catch.hpp>
#include <stdexcept>
#include <streamweave/serde/bytes.hpp>
#include <string>

namespace {
sw::BufferPoolOptions small_pool() {
  sw::BufferPoolOptions o;
  o.initial_capacity = 16;
  return o;
}
}  // namespace

TEST_CASE("Bytes copies, slices and compares by content without copying bytes", "[serde][bytes]") {
  sw::BufferPool pool;
  const sw::Bytes hello = sw::Bytes::copy_of(std::string_view("hello, world"), pool);
  REQUIRE(hello.size() == 12);
  REQUIRE(hello.as_string_view() == "hello, world");

  const sw::Bytes copy = hello;  // a reference, not a copy of the bytes
  REQUIRE(copy.data() == hello.data());
  REQUIRE(hello.owner()->use_count() == 2);

  const sw::Bytes world = hello.slice(7, 12);
  REQUIRE(world.as_string_view() == "world");
  REQUIRE(world.data() == hello.data() + 7);
  REQUIRE(hello.owner()->use_count() == 3);
  REQUIRE(world.slice(1, 3).as_string_view() == "or");
  REQUIRE(hello.slice(3, 3).empty());

  REQUIRE(world == sw::Bytes::copy_of(std::string_view("world"), pool));
  REQUIRE_FALSE(world == hello);
  REQUIRE(sw::Bytes{} == sw::Bytes{});

  REQUIRE_THROWS_AS(hello.slice(5, 13), std::out_of_range);
  REQUIRE_THROWS_AS(hello.slice(6, 5), std::out_of_range);
}

TEST_CASE("A slice keeps its buffer alive after the original is gone", "[serde][bytes]") {
  sw::BufferPool pool;
  sw::Bytes tail;
  {
    const sw::Bytes whole = sw::Bytes::copy_of(std::string_view("abcdefgh"), pool);
    tail = whole.slice(4, 8);
  }
  REQUIRE(pool.stats().outstanding_bytes > 0);
  REQUIRE(tail.as_string_view() == "efgh");  // ASan proves the buffer is still there
  tail = {};
  REQUIRE(pool.stats().outstanding_bytes == 0);
}

TEST_CASE("BytesMut grows, overwrites and freezes without copying", "[serde][bytes]") {
  sw::BufferPool pool(small_pool());
  sw::BytesMut out(pool);
  REQUIRE(out.capacity() == 0);  // no buffer before the first write
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    const std::string piece = std::to_string(i) + ",";
    out.append(piece);
    expected += piece;
  }
  REQUIRE(out.size() == expected.size());
  REQUIRE(out.capacity() >= expected.size());
  out.overwrite(0, "X", 1);
  expected[0] = 'X';
  REQUIRE_THROWS_AS(out.overwrite(out.size(), "Y", 1), std::out_of_range);

  const std::byte* where = out.data();
  const sw::Bytes frozen = out.freeze();
  REQUIRE(frozen.data() == where);
  REQUIRE(frozen.as_string_view() == expected);
  REQUIRE(out.size() == 0);

  out.append("next");  // a new buffer; the frozen bytes are untouched
  REQUIRE(frozen.as_string_view() == expected);
  REQUIRE(out.freeze().as_string_view() == "next");

  out.append("abcdef");
  out.truncate(3);
  REQUIRE(out.freeze().as_string_view() == "abc");
  REQUIRE(out.freeze().empty());
}
