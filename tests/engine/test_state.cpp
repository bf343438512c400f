// Operator state for checkpoints: values and keyed tables round-trip; keyed entries restored
// with another parallelism land, each exactly once, on the instance that now owns their key;
// a damaged state file is a CorruptFile naming the file and the byte.
#include <catch2/catch.hpp>
#include <streamweave/engine/state.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <string>

namespace {

using Table = std::map<std::string, std::int64_t>;

void write_table(sw::StateWriter& w, const Table& t) {
  w.keyed_map(t);
}

Table read_table(sw::StateReader& r) {
  Table t;
  r.keyed([&](sw::BinaryReader& in) {
    std::string key;
    std::int64_t value = 0;
    in.read(key);
    in.read(value);
    CHECK(t.emplace(key, value).second);
  });
  return t;
}

// The state files of `parallelism` instances that own the keys of `all` by key group, as a
// keyed operator's instances would hold them.
std::vector<sw::SavedState> saved_by_owner(const Table& all, unsigned parallelism) {
  std::vector<Table> held(parallelism);
  for (const auto& e : all) held[sw::owner_of_key(sw::hash_key(e.first), parallelism)].insert(e);
  std::vector<sw::SavedState> files;
  for (unsigned i = 0; i < parallelism; ++i) {
    sw::StateWriter w;
    w.value(std::string("instance ") + std::to_string(i));
    write_table(w, held[i]);
    files.push_back({i, parallelism, w.finish(), "count-" + std::to_string(i) + ".state", 24});
  }
  return files;
}

Table sample(std::size_t keys) {
  Table t;
  for (std::size_t k = 0; k < keys; ++k)
    t["key" + std::to_string(k)] = static_cast<std::int64_t>(k);
  return t;
}

}  // namespace

TEST_CASE("a table of many MiB is written in pieces that read back as one payload") {
  // Chunks of about 1 MiB: this table takes several, between a small table and a value.
  Table big;
  for (std::size_t k = 0; k < 200'000; ++k)
    big["key" + std::to_string(k)] = static_cast<std::int64_t>(k) * 3;
  sw::StateWriter w;
  w.value(std::uint64_t{7});
  write_table(w, Table{{"a", 1}});
  write_table(w, big);
  const std::vector<sw::Bytes> pieces = w.finish_pieces();
  CHECK(w.entries() == 0);  // left empty
  std::string joined;
  for (const sw::Bytes& piece : pieces) joined += piece.as_string_view();
  CHECK(joined.size() > 3'000'000);
  CHECK(pieces.size() >= 8);  // head, value, count, (length, data, groups) x 2, more chunks
  std::size_t largest = 0;
  for (const sw::Bytes& piece : pieces) largest = std::max(largest, piece.size());
  CHECK(largest <= std::size_t{1} << 20);
  sw::StateReader r({{0, 1, sw::Bytes::copy_of(std::string_view(joined)), "big.state"}}, 0, 1);
  CHECK(sw::BinaryReader(r.values()).read<std::uint64_t>() == 7);
  CHECK(read_table(r) == Table{{"a", 1}});
  CHECK(read_table(r) == big);
}

TEST_CASE("state values and keyed tables round-trip in the same layout") {
  sw::StateWriter w;
  w.value(std::uint64_t{42});
  w.value(std::string("offset"));
  const Table first = sample(1000);
  const Table second{{"a", -1}};
  write_table(w, first);
  write_table(w, second);
  CHECK(w.entries() == 1001);
  sw::StateReader r({{2, 4, w.finish(), "x.state"}}, 2, 4);
  CHECK(r.same_layout());
  sw::BinaryReader values(r.values());
  CHECK(values.read<std::uint64_t>() == 42);
  CHECK(values.read<std::string>() == "offset");
  // The same layout restores all it wrote, whatever the keys' owners (combine's local half).
  CHECK(read_table(r) == first);
  CHECK(read_table(r) == second);
  CHECK_THROWS_AS(read_table(r), sw::StateError);
}

TEST_CASE("keyed state restored with another parallelism lands once, on each key's owner") {
  const Table all = sample(5000);
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 8; ++round) {
    const unsigned before = 1 + rng() % 6;
    const unsigned after = 1 + rng() % 6;
    INFO(before << " instances restored into " << after);
    const std::vector<sw::SavedState> files = saved_by_owner(all, before);
    Table restored;
    for (unsigned i = 0; i < after; ++i) {
      sw::StateReader r(files, i, after);
      CHECK(r.same_layout() == (before == after && before == 1));
      for (const auto& [key, value] : read_table(r)) {
        CHECK(sw::owner_of_key(sw::hash_key(key), after) == i);
        CHECK(restored.emplace(key, value).second);
      }
    }
    CHECK(restored == all);
  }
}

TEST_CASE("a keyed map restored from instances that held the same key merges or refuses") {
  // Two instances of an operator whose input was not partitioned by key (combine's local
  // half) both hold "a"; restored into one instance, the entries meet.
  std::vector<sw::SavedState> files;
  for (unsigned i = 0; i < 2; ++i) {
    sw::StateWriter w;
    w.keyed_map(Table{{"a", 10 + i}, {"only" + std::to_string(i), 1}});
    files.push_back({i, 2, w.finish(), "sum-" + std::to_string(i) + ".state", 24});
  }
  {
    sw::StateReader r(files, 0, 1);
    CHECK(r.next_keyed_entries() == 4);  // what the map is sized for: both instances' entries
    Table merged;
    std::size_t restored = 0;
    r.keyed_map(
        merged, "sum", [&](const auto&) { ++restored; },
        [](std::int64_t& held, std::int64_t&& saved) { held += saved; });
    CHECK(merged == Table{{"a", 21}, {"only0", 1}, {"only1", 1}});
    CHECK(restored == 3);
    CHECK(r.next_keyed_entries() == 0);  // no table left
  }
  sw::StateReader r(files, 0, 1);
  Table refused;
  CHECK_THROWS_WITH(r.keyed_map(refused, "sum", [](const auto&) {}),
                    "node 'sum': a key was saved by two instances (the checkpoint is not of this "
                    "graph's partitioning)");
}

TEST_CASE("operator values do not move between instances unless asked for") {
  const std::vector<sw::SavedState> files = saved_by_owner(sample(10), 2);
  sw::StateReader r(files, 0, 3);
  CHECK_FALSE(r.same_layout());
  CHECK_THROWS_WITH(r.values(), Catch::Contains("count-0.state: state of instance 0 of 2 cannot "
                                                "move to another instance or parallelism"));
  const std::vector<sw::Bytes> all = r.all_values();
  REQUIRE(all.size() == 2);
  CHECK(sw::decode<std::string>(all[1]) == "instance 1");
}

TEST_CASE("key groups cover every instance's share and follow the router") {
  for (const unsigned n : {1u, 2u, 3u, 7u, 4096u, 5000u}) {
    std::uint32_t next = 0;
    for (unsigned i = 0; i < n; ++i) {
      const auto [first, end] = sw::key_groups_of(i, n);
      CHECK(first == next);
      for (std::uint32_t g = first; g < end; ++g) CHECK(sw::owner_of_key_group(g, n) == i);
      next = end;
    }
    CHECK(next == sw::kKeyGroups);
  }
}

TEST_CASE("a damaged state file names the file and the byte, never misreads") {
  const std::vector<sw::SavedState> files = saved_by_owner(sample(50), 1);
  const std::string good(files[0].payload.as_string_view());
  for (std::size_t n = 0; n < good.size(); ++n) {
    INFO("truncated to " << n);
    try {
      sw::StateReader r({{0, 1, sw::Bytes::copy_of(good.substr(0, n)), "/c/s", 24}}, 0, 1);
      (void)read_table(r);
      FAIL("read a truncated state file");
    } catch (const sw::CorruptFile& e) {
      CHECK(e.path() == "/c/s");
      CHECK(e.offset() >= 24);
    } catch (const sw::StateError&) {
      // Cut right after the values: no table left.
    }
  }
  std::string bad_format = good;
  bad_format[0] = 9;
  CHECK_THROWS_WITH(sw::StateReader({{0, 1, sw::Bytes::copy_of(bad_format), "/c/s", 24}}, 0, 1),
                    Catch::Contains("/c/s: operator state file at byte 24: format 9"));
}
