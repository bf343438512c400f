// A checkpoint's manifest: which file holds the state of which operator instance, and what
// the checkpoint was. Written last, as a checked file (serde/checked_file.hpp): a checkpoint
// directory without a valid manifest never completed. The payload is the manifest in the
// binary codec. Plain values and pure functions: any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "streamweave/serde/bytes.hpp"
#include "streamweave/serde/checked_file.hpp"

namespace sw {

// The key groups [first, end) an instance owned when it wrote its state; empty when the
// operator keeps no keyed state.
struct KeyGroupRange {
  std::uint32_t first = 0;
  std::uint32_t end = 0;
  friend bool operator==(const KeyGroupRange&, const KeyGroupRange&) = default;
};

// What a checkpoint's file holds: an operator instance's state (StateWriter's payload), or
// the batches its inputs had in flight when an unaligned checkpoint passed it (frames,
// serde/frame.hpp, in the order they came), which a restored instance takes first.
enum class StateFileKind : std::uint8_t { operator_state = 0, in_flight = 1 };

// One operator instance's state file, named relative to the checkpoint's directory.
struct StateFileEntry {
  std::string node;  // the node's name, unique in its graph
  std::string op;    // what it is ("reduce", "window", ...)
  std::uint32_t instance = 0;
  std::uint32_t parallelism = 1;  // of the node when the checkpoint was taken
  std::uint32_t rank = 0;         // that wrote the file
  std::string file;
  std::uint64_t bytes = 0;    // of the payload
  std::uint32_t crc32c = 0;   // of the payload, as in the file's header
  std::uint64_t entries = 0;  // keyed entries (0 when not keyed); in-flight batches' items
  KeyGroupRange key_groups;
  StateFileKind kind = StateFileKind::operator_state;
  friend bool operator==(const StateFileEntry&, const StateFileEntry&) = default;
};

struct CheckpointManifest {
  std::uint64_t id = 0;  // 1, 2, ... in the order the checkpoints were taken
  std::string graph;
  std::uint64_t graph_fingerprint = 0;  // of the nodes and edges: restore refuses another graph
  std::uint32_t key_groups = 0;         // of the run that wrote it
  std::uint32_t ranks = 1;
  bool savepoint = false;            // taken on request (on exit), not by the interval
  bool final = false;                // taken when every instance had finished: the run ended
  std::int64_t started_unix_ms = 0;  // when the barriers were injected
  std::uint64_t duration_us = 0;     // from then until the manifest was written
  std::uint64_t alignment_us = 0;    // the longest an instance waited to align its barriers
  std::uint64_t snapshot_us = 0;     // the longest an instance took to copy its state
  bool unaligned = false;            // some instance passed it unaligned (alignment timeout)
  std::vector<StateFileEntry> files;
  friend bool operator==(const CheckpointManifest&, const CheckpointManifest&) = default;
};

// The kind `file`'s header names (read_checked_file checks it).
[[nodiscard]] inline FileKind checked_file_kind(const StateFileEntry& file) noexcept {
  return file.kind == StateFileKind::in_flight ? FileKind::in_flight : FileKind::operator_state;
}

// The manifest's payload for write_checked_file.
[[nodiscard]] Bytes encode_manifest(const CheckpointManifest& manifest);
// The manifest in `payload` (read_checked_file's, of FileKind::manifest). Throws CorruptFile
// naming `path` and the offset when it does not decode, or bytes are left over.
[[nodiscard]] CheckpointManifest parse_manifest(const Bytes& payload,
                                                const std::filesystem::path& path);

}  // namespace sw
