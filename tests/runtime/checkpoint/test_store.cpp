// The checkpoint store: a checkpoint is complete only with its manifest and every file it
// lists intact; the newest damaged one is skipped, by name; pruning keeps the newest ones.
#include <catch2/catch.hpp>

#include <fstream>

#include <unistd.h>

#include "../../../runtime/src/checkpoint/store.hpp"
#include "streamweave/serde/checked_file.hpp"
#include "support/temp_dir.hpp"

namespace {

sw::CheckpointManifest write_checkpoint(sw::runtime::CheckpointStore& store, std::uint64_t id,
                                        const std::string& content) {
  store.begin(id);
  sw::CheckpointManifest m;
  m.id = id;
  m.graph.append("g");  // not `= "g"`: g++ 12's -Wrestrict misfires on it (bug 105651)
  sw::StateFileEntry entry;
  entry.node.append("sum");
  entry.file.append("n1-i0.state");
  // In two pieces, as a snapshot's tables come: one file.
  const std::string_view text(content);
  store.write_state(id, entry,
                    {sw::Bytes::copy_of(text.substr(0, text.size() / 2)),
                     sw::Bytes::copy_of(text.substr(text.size() / 2))});
  m.files.push_back(entry);
  store.complete(m);
  return m;
}

}  // namespace

TEST_CASE("a checkpoint reads back whole, with each file's payload") {
  sw::test::TempDir dir;
  sw::runtime::CheckpointStore store(dir.file("ck/nested"));
  const sw::CheckpointManifest m = write_checkpoint(store, 7, "state of sum");
  CHECK(m.files[0].bytes == 12);
  const sw::runtime::LoadedCheckpoint loaded = store.load(7);
  CHECK(loaded.manifest == m);
  REQUIRE(loaded.payloads.size() == 1);
  CHECK(loaded.payloads[0].as_string_view() == "state of sum");
  CHECK(loaded.dir == store.dir_of(7));
  CHECK(store.dir_of(7).filename() == "chk-00000007");
  std::filesystem::create_directory(dir.file("ck/nested/not-a-checkpoint"));
  std::filesystem::create_directory(dir.file("ck/nested/chk-12x"));
  CHECK(store.ids() == std::vector<std::uint64_t>{7});
}

TEST_CASE("the latest checkpoint that loads wins, damaged and unfinished ones are skipped") {
  sw::test::TempDir dir;
  sw::runtime::CheckpointStore store(dir.file("ck"));
  write_checkpoint(store, 1, "one");
  write_checkpoint(store, 2, "two");
  write_checkpoint(store, 3, "three");
  store.begin(4);  // never completed: no manifest
  // Checkpoint 3 loses its state file.
  std::filesystem::remove(store.dir_of(3) / "n1-i0.state");
  std::vector<std::string> skipped;
  const auto latest = store.latest(skipped);
  REQUIRE(latest);
  CHECK(latest->manifest.id == 2);
  REQUIRE(skipped.size() == 1);
  CHECK_THAT(skipped[0], Catch::Contains("chk-00000003") && Catch::Contains("n1-i0.state"));
  CHECK_THROWS_WITH(store.load(3), Catch::Contains("n1-i0.state"));
  // A truncated manifest.
  const auto manifest = store.dir_of(2) / "_manifest";
  std::filesystem::resize_file(manifest, std::filesystem::file_size(manifest) - 1);
  skipped.clear();
  CHECK(store.latest(skipped)->manifest.id == 1);
  CHECK(skipped.size() == 2);
  CHECK_THROWS_WITH(store.load(2), Catch::Contains("_manifest: checkpoint manifest file"));
}

TEST_CASE("a state file whose size disagrees with the manifest is refused") {
  sw::test::TempDir dir;
  sw::runtime::CheckpointStore store(dir.file("ck"));
  write_checkpoint(store, 1, "one");
  // A valid checked file, but not the one the manifest lists.
  sw::write_checked_file(store.dir_of(1) / "n1-i0.state", sw::FileKind::operator_state,
                         std::as_bytes(std::span("longer state", 12)));
  CHECK_THROWS_WITH(store.load(1), Catch::Contains("12 bytes; the manifest says 3"));
}

TEST_CASE("pruning keeps the newest complete checkpoints and what may still complete") {
  sw::test::TempDir dir;
  sw::runtime::CheckpointStore store(dir.file("ck"));
  for (std::uint64_t id = 1; id <= 5; ++id) write_checkpoint(store, id, "s");
  store.begin(3);  // an unfinished attempt older than the newest complete one
  write_checkpoint(store, 3, "s");
  store.begin(6);  // in flight: newer than every complete one
  store.prune(2);
  CHECK(store.ids() == std::vector<std::uint64_t>{4, 5, 6});
  store.prune(0);  // at least one is kept
  CHECK(store.ids() == std::vector<std::uint64_t>{5, 6});
}

TEST_CASE("one checkpoint directory serves one run at a time") {
  sw::test::TempDir dir;
  {
    sw::runtime::CheckpointStore first(dir.file("ck"));
    CHECK_THROWS_WITH(
        sw::runtime::CheckpointStore(dir.file("ck")),
        Catch::Contains("checkpoint directory " + dir.file("ck") +
                        " is in use by another run (process " + std::to_string(::getpid()) + ")"));
  }
  // The lock goes with the store that held it (and with a process that dies).
  sw::runtime::CheckpointStore again(dir.file("ck"));
  CHECK(again.ids().empty());
}

TEST_CASE("a failed checkpoint's files are discarded") {
  sw::test::TempDir dir;
  sw::runtime::CheckpointStore store(dir.file("ck"));
  write_checkpoint(store, 1, "one");
  store.begin(2);
  sw::StateFileEntry entry;
  entry.file.append("n1-i0.state");
  store.write_state(2, entry, {sw::Bytes::copy_of(std::string_view("partial"))});
  store.discard(2);
  CHECK_FALSE(std::filesystem::exists(store.dir_of(2)));
  CHECK(store.ids() == std::vector<std::uint64_t>{1});
  store.discard(9);  // nothing there: no error
}
