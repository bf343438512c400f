// RecordReader on a stream: where a stream that ended mid-record was cut, for the write-ahead
// log that leaves such a piece out (read_lines.hpp).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <optional>
#include <streamweave/operators/io/record_reader.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/helpers.hpp"
#include "support/temp_dir.hpp"
#include "support/watchdog.hpp"

namespace {

// Reads the whole stream at `path` in batches of `batch`; `cut` gets what
// stream_before_unterminated() said after the last batch.
std::vector<std::string> read_stream(const std::string& path, std::size_t batch,
                                     std::optional<sw::detail::StreamPosition>& cut,
                                     sw::detail::StreamPosition& consumed) {
  sw::detail::RecordReader reader(path, sw::detail::RecordFormat::lines, false, 0, 1);
  std::vector<std::string> lines;
  for (bool more = true; more;) {
    sw::BatchItems<sw::Str> items;
    more = reader.read(items, batch);
    for (const sw::Str& s : items) lines.push_back(s.str());
    cut = reader.stream_before_unterminated();
    // Before the end, no record read so far was cut short.
    if (more && !items.empty()) CHECK_FALSE(cut);
  }
  consumed = reader.stream_consumed();
  return lines;
}

}  // namespace

TEST_CASE("a stream that ends mid-line says where that line began") {
  sw::test::Watchdog watchdog("unterminated stream");
  for (const std::size_t batch : {1u, 2u, 1000u}) {
    INFO("batch " << batch);
    sw::test::TempDir dir;
    const std::string fifo = dir.file("fifo");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // The writer dies in the middle of "seven": the stream ends there.
    std::thread writer = sw::test::feed(fifo, {"one\ntw", "o\n\nfour\nsev"});
    std::optional<sw::detail::StreamPosition> cut;
    sw::detail::StreamPosition consumed;
    const std::vector<std::string> lines = read_stream(fifo, batch, cut, consumed);
    writer.join();
    CHECK(lines == std::vector<std::string>{"one", "two", "", "four", "sev"});
    REQUIRE(cut);
    CHECK(cut->offset == 14);  // "one\ntwo\n\nfour\n"
    CHECK(cut->line == 5);
    CHECK(consumed.offset == 17);
    CHECK(consumed.line == 5);
  }
  // Ended after a line end: nothing was cut.
  sw::test::TempDir dir;
  const std::string fifo = dir.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::thread writer = sw::test::feed(fifo, {"one\ntwo\n"});
  std::optional<sw::detail::StreamPosition> cut;
  sw::detail::StreamPosition consumed;
  CHECK(read_stream(fifo, 1000, cut, consumed) == std::vector<std::string>{"one", "two"});
  writer.join();
  CHECK_FALSE(cut);
  CHECK(consumed.offset == 8);
}
