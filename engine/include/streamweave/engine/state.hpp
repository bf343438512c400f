// Operator state in checkpoints: what a stateful instance writes when a checkpoint barrier
// passes it, and reads back when a run restores from that checkpoint. Two parts:
//   - values: the instance's state as a whole (a source's position, a sink's pending files),
//     any binary-codable values, read back in the order written;
//   - keyed tables: entries filed by the key group of their key (partitioning.hpp), so that a
//     run restored with another parallelism, or on other ranks, hands each entry to the
//     instance that now owns its key.
// The payload of one instance's state file:
//   u8 format   varint values bytes, values   varint tables, then per table:
//   varint data bytes, data   varint groups, per group: varint group, entries, bytes
// A writer or reader belongs to the instance's task for one snapshot or restore.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "streamweave/engine/event_time.hpp"
#include "streamweave/engine/partitioning.hpp"
#include "streamweave/serde/binary.hpp"
#include "streamweave/serde/checked_file.hpp"

namespace sw {

inline constexpr std::uint8_t kStateFormat = 1;

// What an instance can do about checkpoints (OperatorInstance::checkpointing).
enum class Checkpointing : std::uint8_t {
  stateless,    // nothing to save: a restored run starts it afresh
  saves_state,  // snapshot() and restore() keep what it holds
  cannot_save,  // holds state of a type with no binary codec: a checkpointed run refuses it
  unsupported,  // keeps state or a position it cannot snapshot: a checkpointed run refuses it
};

// Restoring state that cannot be restored as asked (another layout, a missing instance).
class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class StateWriter {
 public:
  // For checkpoint `checkpoint` (0: the state a finished instance leaves for the final one).
  explicit StateWriter(BufferPool& pool = BufferPool::global(), std::uint64_t checkpoint = 0)
      : values_(pool), chunk_(pool), pool_(&pool), checkpoint_(checkpoint) {}

  // The checkpoint this state is for (0: the final checkpoint, whatever its id).
  [[nodiscard]] std::uint64_t checkpoint() const noexcept { return checkpoint_; }

  // Appends a value to the instance's values.
  template <class T>
  void value(const T& v) {
    BinaryWriter(values_).write(v);
  }

  // Writes one keyed table: each element of `entries`, filed under the key group of
  // key_hash(element), encoded by write(BinaryWriter&, element). A restore reads the tables
  // in the order they were written.
  template <class Range, class KeyHash, class Write>
  void keyed(const Range& entries, KeyHash&& key_hash, Write&& write) {
    using Element = std::remove_cvref_t<decltype(*std::begin(entries))>;
    std::vector<const Element*> items;
    std::vector<std::uint32_t> groups;
    if constexpr (std::ranges::sized_range<Range>) {
      items.reserve(std::ranges::size(entries));
      groups.reserve(std::ranges::size(entries));
    }
    for (const auto& e : entries) {
      items.push_back(&e);
      groups.push_back(key_group(key_hash(e)));
    }
    const std::vector<std::uint32_t> order = by_group(groups);
    BinaryWriter data(chunk_);
    std::vector<GroupExtent> extents;
    for (const std::uint32_t k : order) {
      if (chunk_.size() >= kChunkFullBytes) next_chunk();
      const std::size_t before = chunk_.size();
      write(data, *items[k]);
      if (extents.empty() || extents.back().group != groups[k]) extents.push_back({groups[k]});
      ++extents.back().entries;
      extents.back().bytes += chunk_.size() - before;
    }
    end_table(extents);
  }

  // Writes a keyed table of a map's (key, value) entries, each filed under its key's group.
  template <class Map>
  void keyed_map(const Map& map) {
    keyed(
        map, [](const auto& entry) { return hash_key(entry.first); },
        [](BinaryWriter& w, const auto& entry) {
          w.write(entry.first);
          w.write(entry.second);
        });
  }

  // The state file's payload in pieces, to be written one after another: the encoded tables
  // are not copied again into one buffer. The writer is left empty.
  [[nodiscard]] std::vector<Bytes> finish_pieces();
  // The same payload in one buffer (a copy of the pieces): for restoring in memory.
  [[nodiscard]] Bytes finish();
  // Keyed entries written so far.
  [[nodiscard]] std::uint64_t entries() const noexcept { return entries_; }

 private:
  struct GroupExtent {
    std::uint32_t group = 0;
    std::uint64_t entries = 0;
    std::uint64_t bytes = 0;
  };
  // The positions of `groups` in the order of their group (a stable counting sort).
  static std::vector<std::uint32_t> by_group(const std::vector<std::uint32_t>& groups);
  // A table's entries go into pooled chunks of about this size, never into one buffer that
  // grows by copying (a window state of tens of MiB would be copied at every doubling, and
  // land in fresh pages each time: buffers above the pool's largest class are not kept).
  static constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
  static constexpr std::size_t kChunkFullBytes = kChunkBytes - kChunkBytes / 8;
  void next_chunk();
  void end_table(const std::vector<GroupExtent>& extents);

  BytesMut values_;
  BytesMut chunk_;                 // the table being written: its latest chunk
  std::vector<Bytes> table_data_;  // its chunks before that
  std::vector<Bytes> tables_;      // the tables ended, as payload pieces in order
  BufferPool* pool_;
  std::uint64_t table_count_ = 0;
  std::uint64_t entries_ = 0;
  std::uint64_t checkpoint_ = 0;
};

// One instance's state file as a restore reads it.
struct SavedState {
  unsigned instance = 0;     // the instance that wrote it
  unsigned parallelism = 1;  // of the node then
  Bytes payload;
  std::string name;            // the file, for errors
  std::size_t payload_at = 0;  // where the payload starts in that file
};

class StateReader {
 public:
  // The state of instance `instance` of `parallelism`, from the files of the node's instances
  // in a checkpoint: every one of them when the parallelism changed (or the ones whose key
  // groups overlap this instance's), else that of the same instance. Throws CorruptFile naming
  // the file and the byte when one is malformed.
  StateReader(std::vector<SavedState> saved, unsigned instance, unsigned parallelism);

  // Whether this instance restores from the one instance of the same index and parallelism.
  [[nodiscard]] bool same_layout() const noexcept { return same_layout_; }
  // The values written by the instance this one restores from. Throws StateError when the
  // layout changed and an old instance wrote values: only keyed state moves between instances
  // (read all_values() to redistribute values yourself).
  [[nodiscard]] const Bytes& values() const;
  // The values of every saved instance, in instance order.
  [[nodiscard]] std::vector<Bytes> all_values() const;

  // The entries the next keyed table holds for this instance (what keyed() will read).
  [[nodiscard]] std::uint64_t next_keyed_entries() const noexcept;

  // Reads the next keyed table: calls read(BinaryReader&) once per entry this instance
  // restores — all it wrote in the same layout, else those whose key group it now owns, from
  // every saved file. Throws CorruptFile when an entry does not decode
  // to exactly its bytes, StateError when no table is left.
  template <class Read>
  void keyed(Read&& read) {
    for (Table& table : next_tables()) {
      for (const Group& g : table.groups) {
        // In the same layout, everything the instance wrote comes back to it, whether its
        // input was partitioned by key or not (combine's local half).
        if (!same_layout_ && (g.group < owned_.first || g.group >= owned_.second)) continue;
        const Bytes slice = table.data.slice(g.offset, g.offset + g.bytes);
        BinaryReader reader(slice);
        try {
          for (std::uint64_t n = 0; n < g.entries; ++n) read(reader);
        } catch (const DecodeError& e) {
          corrupt(*table.file, table.data_at + g.offset + e.offset(), e.reason());
        }
        if (reader.remaining() != 0) group_overrun(table, g);
      }
    }
  }

  // Reads a table StateWriter::keyed_map wrote into `map`, calling restored(entry) for each
  // entry inserted. A key saved by two instances (a restore into another parallelism of state
  // that was not partitioned by key) is combined by merge(held_value, saved_value) when
  // `merge` is given, else is a StateError naming `node`.
  template <class Map, class Restored, class Merge = std::nullptr_t>
  void keyed_map(Map& map, const std::string& node, Restored&& restored, Merge&& merge = nullptr) {
    // Sized once: growing a hash map of millions of keys rehashes it again and again.
    if constexpr (requires(Map & m) { m.reserve(std::size_t{}); }) {
      map.reserve(map.size() + static_cast<std::size_t>(next_keyed_entries()));
    }
    keyed([&](BinaryReader& r) {
      typename Map::key_type key{};
      r.read(key);
      typename Map::mapped_type value{};
      r.read(value);
      const auto [it, inserted] = map.try_emplace(std::move(key), std::move(value));
      if (inserted) {
        restored(*it);
      } else if constexpr (std::is_null_pointer_v<std::remove_cvref_t<Merge>>) {
        duplicate_key(node);
      } else {
        merge(it->second, std::move(value));
      }
    });
  }

 private:
  struct Group {
    std::uint32_t group = 0;
    std::uint64_t entries = 0;
    std::size_t offset = 0;
    std::size_t bytes = 0;
  };
  struct Table {
    const SavedState* file = nullptr;
    Bytes data;
    std::size_t data_at = 0;  // in the payload
    std::vector<Group> groups;
  };
  struct Parsed {
    Bytes values;
    std::vector<Table> tables;
  };
  static Parsed parse(const SavedState& saved);
  std::vector<Table> next_tables();
  [[noreturn]] static void group_overrun(const Table& table, const Group& group);
  [[noreturn]] static void duplicate_key(const std::string& node);
  // Throws CorruptFile for `payload_offset` of `file`'s payload.
  [[noreturn]] static void corrupt(const SavedState& file, std::size_t payload_offset,
                                   const std::string& reason);

  std::vector<SavedState> saved_;
  std::vector<Parsed> parsed_;
  std::pair<std::uint32_t, std::uint32_t> owned_;
  bool same_layout_ = false;
  std::size_t next_table_ = 0;
};

// The event time an instance wrote as its `index`-th value (its watermark, say): that of the
// instance this one restores from or, when the layout changed, the lowest any saved instance
// wrote (a lower watermark makes nothing late that was on time). kMinEventTime when none.
[[nodiscard]] EventTime restored_event_time(const StateReader& state, std::size_t index = 0);

}  // namespace sw
