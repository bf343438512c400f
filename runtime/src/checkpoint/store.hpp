// Internal: checkpoints on disk. Under the root directory, one directory per checkpoint:
//
//   chk-00000042/n3-i1.state    one checked file per stateful operator instance
//   chk-00000042/n3-i1.inflight its inputs' batches in flight, when the checkpoint passed it
//                               unaligned
//   chk-00000042/_manifest      written last (fsynced, renamed into place, directory fsynced)
//   .lock                       flock()ed by the run that uses the directory, with its pid
//
// A directory without a valid manifest, or whose manifest lists a file that is missing or
// fails its checks, is not a complete checkpoint. Calls on one store from one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "streamweave/serde/bytes.hpp"
#include "streamweave/serde/checkpoint_manifest.hpp"

namespace sw::runtime {

// A complete checkpoint, read back: its manifest and the payload of each file it lists
// (mapped, checked), in the manifest's order.
struct LoadedCheckpoint {
  std::filesystem::path dir;
  CheckpointManifest manifest;
  std::vector<Bytes> payloads;
};

class CheckpointStore {
 public:
  // Whether the store locks its directory: a run does, and so does rank 0 of a distributed
  // run; the other ranks write into the directory rank 0 locked.
  enum class Lock : bool { no, yes };

  // Creates `root` if needed and locks it for this run: two runs writing checkpoints into
  // one directory would remove each other's. Throws std::system_error naming it, or
  // std::runtime_error naming the process that holds the lock. The lock goes with the store
  // (or with the process, however it ends).
  explicit CheckpointStore(std::filesystem::path root, Lock lock = Lock::yes);
  ~CheckpointStore();
  CheckpointStore(const CheckpointStore&) = delete;
  CheckpointStore& operator=(const CheckpointStore&) = delete;

  [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }
  [[nodiscard]] std::filesystem::path dir_of(std::uint64_t id) const;
  // The ids of the checkpoint directories under the root, complete or not, ascending.
  [[nodiscard]] std::vector<std::uint64_t> ids() const;

  // Checkpoint `id`, checked whole. Throws CorruptFile or std::system_error naming the file
  // that is missing or damaged.
  [[nodiscard]] LoadedCheckpoint load(std::uint64_t id) const;
  // The newest checkpoint that loads, or nullopt; `skipped` gets why each newer one did not.
  [[nodiscard]] std::optional<LoadedCheckpoint> latest(std::vector<std::string>& skipped) const;

  // Starts checkpoint `id`: an empty directory (what an earlier attempt left is removed).
  void begin(std::uint64_t id);
  // Writes one state file of checkpoint `id` (the payload: its pieces, in order); `entry`
  // names it and gets its size and CRC.
  void write_state(std::uint64_t id, StateFileEntry& entry, const std::vector<Bytes>& payload);
  // Completes the checkpoint: its manifest, written last; then the directories are fsynced.
  void complete(const CheckpointManifest& manifest);
  // Removes what a failed checkpoint `id` wrote, so that it takes no room from the next.
  // Errors are ignored.
  void discard(std::uint64_t id) noexcept;
  // Removes every checkpoint older than the newest `retained` complete ones, and incomplete
  // ones older than the newest complete one. Errors are ignored (a later prune retries).
  void prune(unsigned retained);

 private:
  std::filesystem::path root_;
  int lock_fd_ = -1;
};

// "chk-00000042".
[[nodiscard]] std::string checkpoint_dir_name(std::uint64_t id);

}  // namespace sw::runtime
