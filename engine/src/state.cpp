#include "streamweave/engine/state.hpp"

#include <algorithm>
#include <optional>

namespace sw {

// The state file's structure, as the codec's errors name it.
struct StateFile {};

std::vector<std::uint32_t> StateWriter::by_group(const std::vector<std::uint32_t>& groups) {
  std::vector<std::uint32_t> start(kKeyGroups + 1, 0);
  for (const std::uint32_t g : groups) ++start[g + 1];
  for (std::uint32_t g = 0; g < kKeyGroups; ++g) start[g + 1] += start[g];
  std::vector<std::uint32_t> order(groups.size());
  for (std::uint32_t k = 0; k < groups.size(); ++k) order[start[groups[k]]++] = k;
  return order;
}

namespace {
constexpr std::size_t kVarintMax = 10;  // bytes of the longest u64 varint
}  // namespace

void StateWriter::next_chunk() {
  table_data_.push_back(chunk_.freeze());
  chunk_.reserve(kChunkBytes);
}

void StateWriter::end_table(const std::vector<GroupExtent>& extents) {
  if (chunk_.size() != 0) table_data_.push_back(chunk_.freeze());
  std::uint64_t data_bytes = 0;
  for (const Bytes& chunk : table_data_) data_bytes += chunk.size();
  BytesMut length(kVarintMax, *pool_);
  BinaryWriter(length).write_varint(data_bytes);
  tables_.push_back(length.freeze());
  for (Bytes& chunk : table_data_) tables_.push_back(std::move(chunk));
  table_data_.clear();
  BytesMut groups((1 + 3 * extents.size()) * kVarintMax, *pool_);
  BinaryWriter w(groups);
  w.write_varint(extents.size());
  for (const GroupExtent& e : extents) {
    w.write_varint(e.group);
    w.write_varint(e.entries);
    w.write_varint(e.bytes);
    entries_ += e.entries;
  }
  tables_.push_back(groups.freeze());
  ++table_count_;
}

std::vector<Bytes> StateWriter::finish_pieces() {
  BytesMut head(sizeof(kStateFormat) + kVarintMax, *pool_);
  BinaryWriter h(head);
  h.write_fixed(kStateFormat);
  h.write_varint(values_.size());
  BytesMut count(kVarintMax, *pool_);
  BinaryWriter(count).write_varint(table_count_);
  std::vector<Bytes> pieces;
  pieces.reserve(3 + tables_.size());
  pieces.push_back(head.freeze());
  if (values_.size() != 0) pieces.push_back(values_.freeze());
  pieces.push_back(count.freeze());
  for (Bytes& piece : tables_) {
    if (!piece.empty()) pieces.push_back(std::move(piece));
  }
  tables_.clear();
  table_count_ = 0;
  entries_ = 0;
  return pieces;
}

Bytes StateWriter::finish() {
  const std::vector<Bytes> pieces = finish_pieces();
  std::size_t bytes = 0;
  for (const Bytes& piece : pieces) bytes += piece.size();
  BytesMut out(bytes, *pool_);
  for (const Bytes& piece : pieces) out.append(piece.data(), piece.size());
  return out.freeze();
}

StateReader::StateReader(std::vector<SavedState> saved, unsigned instance, unsigned parallelism)
    : saved_(std::move(saved)), owned_(key_groups_of(instance, parallelism)) {
  std::sort(saved_.begin(), saved_.end(),
            [](const SavedState& a, const SavedState& b) { return a.instance < b.instance; });
  same_layout_ =
      saved_.size() == 1 && saved_[0].instance == instance && saved_[0].parallelism == parallelism;
  for (const SavedState& s : saved_) parsed_.push_back(parse(s));
}

StateReader::Parsed StateReader::parse(const SavedState& saved) {
  try {
    BinaryReader r(saved.payload);
    Parsed p;
    const std::size_t format_at = r.offset();
    if (const auto format = r.read_fixed<std::uint8_t>(); format != kStateFormat) {
      r.fail<StateFile>(format_at, "format " + std::to_string(format) + ", this build reads " +
                                       std::to_string(kStateFormat));
    }
    auto slice = [&](std::uint64_t n) {
      const std::size_t at = r.offset();
      (void)r.take<StateFile>(n);
      return saved.payload.slice(at, at + n);
    };
    p.values = slice(r.read_varint<StateFile>());
    const std::size_t tables = r.read_length<StateFile>(2);
    for (std::size_t t = 0; t < tables; ++t) {
      const std::uint64_t data_bytes = r.read_varint<StateFile>();
      Table table{&saved, {}, r.offset(), {}};
      table.data = slice(data_bytes);
      const std::size_t groups = r.read_length<StateFile>(3);
      std::size_t offset = 0;
      for (std::size_t k = 0; k < groups; ++k) {
        const std::size_t at = r.offset();
        Group g;
        const std::uint64_t group = r.read_varint<StateFile>();
        g.entries = r.read_varint<StateFile>();
        g.bytes = r.read_varint<StateFile>();
        const bool ascending = table.groups.empty() || group > table.groups.back().group;
        if (group >= kKeyGroups || !ascending || g.bytes > table.data.size() - offset) {
          r.fail<StateFile>(at, "key group " + std::to_string(group) + " out of order or range");
        }
        g.group = static_cast<std::uint32_t>(group);
        g.offset = offset;
        offset += g.bytes;
        table.groups.push_back(g);
      }
      if (offset != table.data.size()) r.fail<StateFile>("key groups do not cover the table");
      p.tables.push_back(std::move(table));
    }
    if (r.remaining() != 0) r.fail<StateFile>("bytes left over after the last table");
    return p;
  } catch (const DecodeError& e) {
    corrupt(saved, e.offset(), e.reason());
  }
}

void StateReader::corrupt(const SavedState& file, std::size_t payload_offset,
                          const std::string& reason) {
  throw CorruptFile(file.name, FileKind::operator_state, file.payload_at + payload_offset, reason);
}

const Bytes& StateReader::values() const {
  if (same_layout_) return parsed_[0].values;
  for (std::size_t k = 0; k < parsed_.size(); ++k) {
    if (!parsed_[k].values.empty()) {
      throw StateError(saved_[k].name + ": state of instance " +
                       std::to_string(saved_[k].instance) + " of " +
                       std::to_string(saved_[k].parallelism) +
                       " cannot move to another instance or parallelism (only keyed state can)");
    }
  }
  static const Bytes kNone;
  return kNone;
}

std::vector<Bytes> StateReader::all_values() const {
  std::vector<Bytes> values;
  for (const Parsed& p : parsed_) values.push_back(p.values);
  return values;
}

std::uint64_t StateReader::next_keyed_entries() const noexcept {
  std::uint64_t entries = 0;
  for (const Parsed& parsed : parsed_) {
    if (next_table_ >= parsed.tables.size()) continue;
    for (const Group& g : parsed.tables[next_table_].groups) {
      if (same_layout_ || (g.group >= owned_.first && g.group < owned_.second))
        entries += g.entries;
    }
  }
  return entries;
}

std::vector<StateReader::Table> StateReader::next_tables() {
  std::vector<Table> tables;
  for (std::size_t k = 0; k < parsed_.size(); ++k) {
    if (next_table_ >= parsed_[k].tables.size()) {
      throw StateError(saved_[k].name + ": no keyed table " + std::to_string(next_table_ + 1) +
                       " (the state was written by another version of the operator?)");
    }
    tables.push_back(parsed_[k].tables[next_table_]);
  }
  ++next_table_;
  return tables;
}

void StateReader::group_overrun(const Table& table, const Group& group) {
  corrupt(*table.file, table.data_at + group.offset,
          "key group " + std::to_string(group.group) + ": " + std::to_string(group.entries) +
              " entries do not fill its " + std::to_string(group.bytes) + " bytes");
}

void StateReader::duplicate_key(const std::string& node) {
  throw StateError("node '" + node +
                   "': a key was saved by two instances (the checkpoint is not of this graph's "
                   "partitioning)");
}

EventTime restored_event_time(const StateReader& state, std::size_t index) {
  const auto read = [index](const Bytes& values) {
    BinaryReader r(values);
    EventTime time = kMinEventTime;
    for (std::size_t k = 0; k <= index; ++k) r.read(time);
    return time;
  };
  if (state.same_layout()) return read(state.values());
  std::optional<EventTime> least;
  for (const Bytes& values : state.all_values()) {
    const EventTime time = read(values);
    least = least ? std::min(*least, time) : time;
  }
  return least.value_or(kMinEventTime);
}

}  // namespace sw
