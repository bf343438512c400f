#include "store.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include "streamweave/serde/checked_file.hpp"

namespace sw::runtime {

namespace {

constexpr std::string_view kPrefix = "chk-";
constexpr const char* kManifest = "_manifest";
constexpr const char* kLock = ".lock";

std::optional<std::uint64_t> id_of(const std::string& name) {
  if (!name.starts_with(kPrefix)) return std::nullopt;
  std::uint64_t id = 0;
  const char* begin = name.data() + kPrefix.size();
  const char* end = name.data() + name.size();
  const auto [at, error] = std::from_chars(begin, end, id);
  if (error != std::errc() || at != end || begin == end) return std::nullopt;
  return id;
}

}  // namespace

std::string checkpoint_dir_name(std::uint64_t id) {
  std::string digits = std::to_string(id);
  if (digits.size() < 8) digits.insert(0, 8 - digits.size(), '0');
  return std::string(kPrefix) + digits;
}

CheckpointStore::CheckpointStore(std::filesystem::path root, Lock lock_it)
    : root_(std::move(root)) {
  std::error_code error;
  std::filesystem::create_directories(root_, error);
  if (error) throw std::system_error(error, "creating checkpoint directory " + root_.string());
  if (lock_it == Lock::no) return;
  const std::filesystem::path lock = root_ / kLock;
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0)
    throw std::system_error(errno, std::generic_category(), "opening " + lock.string());
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int why = errno;
    std::string holder(32, '\0');
    const ssize_t n = ::pread(lock_fd_, holder.data(), holder.size(), 0);
    holder.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    ::close(lock_fd_);
    if (why != EWOULDBLOCK)
      throw std::system_error(why, std::generic_category(), "locking " + lock.string());
    throw std::runtime_error(fmt::format(
        "checkpoint directory {} is in use by another run{}: one run per directory (wait for "
        "it to end, or give this run another --checkpoint-dir)",
        root_.string(), holder.empty() ? "" : " (process " + holder + ")"));
  }
  // Who holds it, for the error above (a stale pid of a dead run is overwritten). Failing to
  // write it costs only that message its pid.
  const std::string pid = std::to_string(::getpid()) + "\n";
  [[maybe_unused]] const bool noted =
      ::ftruncate(lock_fd_, 0) == 0 &&
      ::pwrite(lock_fd_, pid.data(), pid.size(), 0) == static_cast<ssize_t>(pid.size());
}

CheckpointStore::~CheckpointStore() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

std::filesystem::path CheckpointStore::dir_of(std::uint64_t id) const {
  return root_ / checkpoint_dir_name(id);
}

std::vector<std::uint64_t> CheckpointStore::ids() const {
  std::vector<std::uint64_t> ids;
  for (const auto& entry : std::filesystem::directory_iterator(root_)) {
    if (!entry.is_directory()) continue;
    if (const auto id = id_of(entry.path().filename().string())) ids.push_back(*id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

LoadedCheckpoint CheckpointStore::load(std::uint64_t id) const {
  const std::filesystem::path dir = dir_of(id);
  const std::filesystem::path manifest_path = dir / kManifest;
  LoadedCheckpoint loaded{
      dir, parse_manifest(read_checked_file(manifest_path, FileKind::manifest), manifest_path), {}};
  if (loaded.manifest.id != id) {
    throw CorruptFile(manifest_path, FileKind::manifest, kCheckedFileHeaderBytes,
                      "names checkpoint " + std::to_string(loaded.manifest.id));
  }
  for (const StateFileEntry& file : loaded.manifest.files) {
    const std::filesystem::path path = dir / file.file;
    Bytes payload = read_checked_file(path, checked_file_kind(file));
    if (payload.size() != file.bytes) {
      throw CorruptFile(path, checked_file_kind(file), kCheckedFileHeaderBytes,
                        std::to_string(payload.size()) + " bytes; the manifest says " +
                            std::to_string(file.bytes));
    }
    loaded.payloads.push_back(std::move(payload));
  }
  return loaded;
}

std::optional<LoadedCheckpoint> CheckpointStore::latest(std::vector<std::string>& skipped) const {
  const std::vector<std::uint64_t> all = ids();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (!std::filesystem::exists(dir_of(*it) / kManifest)) continue;  // never completed
    try {
      return load(*it);
    } catch (const std::exception& e) {
      skipped.push_back(checkpoint_dir_name(*it) + ": " + e.what());
    }
  }
  return std::nullopt;
}

void CheckpointStore::begin(std::uint64_t id) {
  const std::filesystem::path dir = dir_of(id);
  std::error_code error;
  std::filesystem::remove_all(dir, error);
  if (!error) std::filesystem::create_directory(dir, error);
  if (error) throw std::system_error(error, "creating " + dir.string());
}

void CheckpointStore::write_state(std::uint64_t id, StateFileEntry& entry,
                                  const std::vector<Bytes>& payload) {
  std::vector<std::span<const std::byte>> pieces;
  pieces.reserve(payload.size());
  entry.bytes = 0;
  for (const Bytes& piece : payload) {
    pieces.push_back(piece.span());
    entry.bytes += piece.size();
  }
  entry.crc32c = write_checked_file(dir_of(id) / entry.file, checked_file_kind(entry), pieces);
}

void CheckpointStore::complete(const CheckpointManifest& manifest) {
  const std::filesystem::path dir = dir_of(manifest.id);
  // The state files' own data was fsynced as each was written; their names, with the
  // directory, before the manifest that says they are all there.
  sync_directory(dir);
  write_checked_file(dir / kManifest, FileKind::manifest, encode_manifest(manifest).span());
  sync_directory(dir);
  sync_directory(root_);
}

void CheckpointStore::discard(std::uint64_t id) noexcept {
  std::error_code error;
  std::filesystem::remove_all(dir_of(id), error);
}

void CheckpointStore::prune(unsigned retained) {
  std::error_code error;
  std::vector<std::uint64_t> complete;
  const std::vector<std::uint64_t> all = ids();
  for (const std::uint64_t id : all) {
    if (std::filesystem::exists(dir_of(id) / kManifest, error)) complete.push_back(id);
  }
  if (complete.empty()) return;
  const std::size_t keep = std::max(1u, retained);
  const std::uint64_t oldest_kept =
      complete.size() > keep ? complete[complete.size() - keep] : complete.front();
  const std::uint64_t newest = complete.back();
  for (const std::uint64_t id : all) {
    const bool is_complete = std::binary_search(complete.begin(), complete.end(), id);
    if (is_complete ? id < oldest_kept : id < newest)
      std::filesystem::remove_all(dir_of(id), error);
  }
}

}  // namespace sw::runtime
