// What checkpointed runs leave on disk, as the checkpoint tests look at it.
#pragma once

#include <streamweave/serde/checked_file.hpp>
#include <streamweave/serde/checkpoint_manifest.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "../../runtime/src/checkpoint/store.hpp"

namespace sw::test {

// The complete checkpoints in `dir` (those with a manifest).
inline std::size_t complete_checkpoints(const std::filesystem::path& dir) {
  std::size_t n = 0;
  std::error_code ignored;
  for (const auto& e : std::filesystem::directory_iterator(dir, ignored)) {
    n += std::filesystem::exists(e.path() / "_manifest", ignored) ? 1 : 0;
  }
  return n;
}

// The id of the newest complete checkpoint in `dir` (0: none).
inline std::uint64_t latest_complete_checkpoint(const std::filesystem::path& dir) {
  std::uint64_t latest = 0;
  std::error_code ignored;
  for (const auto& e : std::filesystem::directory_iterator(dir, ignored)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("chk-", 0) != 0 || !std::filesystem::exists(e.path() / "_manifest", ignored))
      continue;
    latest = std::max<std::uint64_t>(latest, std::stoull(name.substr(4)));
  }
  return latest;
}

// The lines of a text file, in no order.
inline std::multiset<std::string> lines_of(const std::filesystem::path& path) {
  std::multiset<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.insert(line);
  return lines;
}

// The manifest of checkpoint `id` in `dir` (throws what the store would for a damaged one).
inline CheckpointManifest read_manifest(const std::filesystem::path& dir, std::uint64_t id) {
  const std::filesystem::path path = dir / runtime::checkpoint_dir_name(id) / "_manifest";
  return parse_manifest(read_checked_file(path, FileKind::manifest), path);
}

}  // namespace sw::test
