#include "checkpoints_command.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <filesystem>
#include <iostream>
#include <streamweave/operators/io/stream_log.hpp>
#include <streamweave/serde/checked_file.hpp>
#include <streamweave/serde/checkpoint_manifest.hpp>
#include <vector>

namespace sw::examples {

namespace {

namespace fs = std::filesystem;

// The checkpoint directories under `dir` (chk-<8 digits>), oldest first.
std::vector<std::pair<std::uint64_t, fs::path>> checkpoint_dirs(const fs::path& dir) {
  std::vector<std::pair<std::uint64_t, fs::path>> found;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (!e.is_directory() || !name.starts_with("chk-") || name.size() < 5 ||
        name.find_first_not_of("0123456789", 4) != std::string::npos) {
      continue;
    }
    found.emplace_back(std::stoull(name.substr(4)), e.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

// The manifest of the checkpoint in `dir`, every state file it lists checked.
CheckpointManifest load(const fs::path& dir) {
  const fs::path path = dir / "_manifest";
  CheckpointManifest m = parse_manifest(read_checked_file(path, FileKind::manifest), path);
  for (const StateFileEntry& f : m.files)
    (void)read_checked_file(dir / f.file, checked_file_kind(f));
  return m;
}

std::string size_text(std::uint64_t bytes) {
  if (bytes >= (1u << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
  if (bytes >= 1024) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
  return fmt::format("{} B", bytes);
}

std::uint64_t state_bytes(const CheckpointManifest& m, StateFileKind kind) {
  std::uint64_t bytes = 0;
  for (const StateFileEntry& f : m.files) bytes += f.kind == kind ? f.bytes : 0;
  return bytes;
}

// ", unaligned: 3.2 KiB in flight" for a checkpoint that some instance passed unaligned.
std::string in_flight_text(const CheckpointManifest& m) {
  if (!m.unaligned) return {};
  return ", unaligned: " + size_text(state_bytes(m, StateFileKind::in_flight)) + " in flight";
}

// The write-ahead logs of the stream sources. `restorable`: a complete checkpoint loads, so a
// restarted run replays its log and reads the stream on after it (else it starts afresh).
void print_logs(const fs::path& dir, bool restorable) {
  std::error_code missing;
  for (const auto& e : fs::directory_iterator(dir / "wal", missing)) {
    const std::string name = e.path().filename().string();
    try {
      const detail::StreamPosition end =
          restorable ? detail::StreamLog::logged_stream_end(e.path().string())
                     : detail::StreamPosition{};
      const std::uint64_t torn = detail::StreamLog::torn_bytes_at_end(e.path().string());
      std::cout << fmt::format(
          "log {}: {} segment(s); a restarted run reads the stream from byte {} (line {}){}\n",
          name, wal_segments(e.path()).size(), end.offset, end.line,
          torn == 0 ? std::string()
                    : fmt::format("; a torn record of {} bytes at its end is cut off then", torn));
    } catch (const std::exception& error) {
      std::cout << fmt::format("log {}: damaged: {}\n", name, error.what());
    }
  }
}

// Whether a complete checkpoint in `dir` loads.
bool restorable(const fs::path& dir) {
  const auto dirs = checkpoint_dirs(dir);
  return std::any_of(dirs.begin(), dirs.end(), [](const auto& d) {
    try {
      (void)load(d.second);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  });
}

}  // namespace

int list_checkpoints(const CheckpointsSettings& settings) {
  if (!fs::is_directory(settings.dir)) {
    std::cerr << "streamweave checkpoints: " << settings.dir << " is not a directory\n";
    return 1;
  }
  for (const auto& [id, path] : checkpoint_dirs(settings.dir)) {
    if (!fs::exists(path / "_manifest")) {
      std::cout << fmt::format("{:>8}  incomplete (no manifest)\n", id);
      continue;
    }
    try {
      const CheckpointManifest m = load(path);
      std::cout << fmt::format(
          "{:>8}  complete{}  graph {}  {} files, {}  took {:.1f} ms, aligned in {:.1f} ms, "
          "snapshot in {:.1f} ms{}\n",
          id, m.final ? " (final)" : "", m.graph, m.files.size(),
          size_text(state_bytes(m, StateFileKind::operator_state)), m.duration_us / 1e3,
          m.alignment_us / 1e3, m.snapshot_us / 1e3, in_flight_text(m));
    } catch (const std::exception& e) {
      std::cout << fmt::format("{:>8}  damaged: {}\n", id, e.what());
    }
  }
  print_logs(settings.dir, restorable(settings.dir));
  return 0;
}

int inspect_checkpoint(const CheckpointsSettings& settings) {
  if (!fs::is_directory(settings.dir)) {
    std::cerr << "streamweave checkpoints: " << settings.dir << " is not a directory\n";
    return 1;
  }
  std::optional<fs::path> chosen;
  for (const auto& [id, path] : checkpoint_dirs(settings.dir)) {
    if (settings.id ? id == *settings.id : fs::exists(path / "_manifest")) chosen = path;
  }
  if (!chosen) {
    std::cerr << "streamweave checkpoints: no " << (settings.id ? "such" : "complete")
              << " checkpoint in " << settings.dir << "\n";
    return 1;
  }
  try {
    const CheckpointManifest m = load(*chosen);
    std::cout << fmt::format(
        "checkpoint {}{} of graph '{}' (fingerprint {:016x}), {} key groups, {} rank(s)\n"
        "started at {} ms since the epoch, took {:.1f} ms, aligned in {:.1f} ms, snapshot in "
        "{:.1f} ms, {} in {} files{}\n",
        m.id, m.final ? " (final)" : "", m.graph, m.graph_fingerprint, m.key_groups, m.ranks,
        m.started_unix_ms, m.duration_us / 1e3, m.alignment_us / 1e3, m.snapshot_us / 1e3,
        size_text(state_bytes(m, StateFileKind::operator_state)), m.files.size(),
        in_flight_text(m));
    // An in-flight file's entries are the items of its batches.
    static const std::string kInFlight = "(in flight)";
    std::cout << fmt::format("{:<24} {:<12} {:>9} {:>10} {:>10} {:>12}  {}\n", "node", "operator",
                             "instance", "bytes", "entries", "key groups", "file");
    for (const StateFileEntry& f : m.files) {
      const std::string groups =
          f.key_groups.end > f.key_groups.first
              ? fmt::format("{}-{}", f.key_groups.first, f.key_groups.end - 1)
              : std::string("-");
      const std::string& what = f.kind == StateFileKind::in_flight ? kInFlight : f.op;
      std::cout << fmt::format("{:<24} {:<12} {:>9} {:>10} {:>10} {:>12}  {}\n", f.node, what,
                               fmt::format("{}/{}", f.instance, f.parallelism), f.bytes, f.entries,
                               groups, f.file);
    }
  } catch (const std::exception& e) {
    std::cerr << "streamweave checkpoints: " << e.what() << "\n";
    return 1;
  }
  print_logs(settings.dir, restorable(settings.dir));
  return 0;
}

}  // namespace sw::examples
