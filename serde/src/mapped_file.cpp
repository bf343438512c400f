#include "streamweave/serde/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>

#include "mapping_faults.hpp"

namespace sw {

namespace {

class MappedFile final : public SharedBuffer {
 public:
  MappedFile(std::byte* data, std::size_t size, std::string path) noexcept
      : SharedBuffer(data, size),
        path_(std::move(path)),
        fault_slot_(detail::register_mapping(data, size, path_)) {}
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::optional<std::uint64_t> shrunk_at() const noexcept {
    return detail::mapping_fault(fault_slot_);
  }

 private:
  std::string path_;
  int fault_slot_;

  void dispose() noexcept override {
    detail::unregister_mapping(fault_slot_);
    ::munmap(mutable_data(), capacity());
    std::default_delete<MappedFile>{}(this);
  }
};

// A chunk of a stream, with where it starts: the owner of the chunk's slices.
class StreamChunk final : public SharedBuffer {
 public:
  StreamChunk(Bytes chunk, std::shared_ptr<const std::string> name, std::uint64_t first_line,
              std::uint64_t first_offset) noexcept
      : SharedBuffer(const_cast<std::byte*>(chunk.data()), chunk.size()),  // never written
        chunk_(std::move(chunk)),
        name_(std::move(name)),
        first_line_(first_line),
        first_offset_(first_offset) {}
  [[nodiscard]] const std::string& name() const noexcept { return *name_; }
  [[nodiscard]] std::uint64_t first_line() const noexcept { return first_line_; }
  [[nodiscard]] std::uint64_t first_offset() const noexcept { return first_offset_; }

 private:
  Bytes chunk_;  // keeps the pooled buffer
  std::shared_ptr<const std::string> name_;
  std::uint64_t first_line_;
  std::uint64_t first_offset_;

  void dispose() noexcept override { std::default_delete<StreamChunk>{}(this); }
};

[[noreturn]] void fail(const char* call, const std::string& path, int error) {
  throw std::system_error(error, std::generic_category(), std::string(call) + " " + path);
}

}  // namespace

Bytes map_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    fail("fstat", path, error);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fail("mmap (not a regular file)", path, ENODEV);
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return {};
  }
  void* at = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int error = errno;
  ::close(fd);  // the mapping keeps the file
  if (at == MAP_FAILED) fail("mmap", path, error);
  std::unique_ptr<MappedFile> owner;
  try {
    owner = std::make_unique<MappedFile>(static_cast<std::byte*>(at), size, path);
  } catch (...) {
    ::munmap(at, size);
    throw;
  }
  const std::byte* data = owner->data();
  return Bytes(boost::intrusive_ptr<SharedBuffer>(owner.release()), data, size);
}

std::optional<std::uint64_t> file_shrunk_at(const Bytes& slice) noexcept {
  const auto* file = dynamic_cast<const MappedFile*>(slice.owner().get());
  return file == nullptr ? std::nullopt : file->shrunk_at();
}

void throw_if_file_shrunk(const Bytes& slice) {
  const auto* file = dynamic_cast<const MappedFile*>(slice.owner().get());
  if (file == nullptr) return;
  if (const auto offset = file->shrunk_at()) {
    throw FileShrunk(describe_shrunk_file(file->path(), *offset, file->capacity()));
  }
}

std::string describe_shrunk_file(const std::string& path, std::uint64_t offset,
                                 std::uint64_t mapped_size) {
  struct stat st {};
  const std::string now = ::stat(path.c_str(), &st) == 0
                              ? std::to_string(st.st_size) + " bytes now"
                              : std::string("gone now (") + std::strerror(errno) + ")";
  return path + " shrank while being read (" + std::to_string(mapped_size) +
         " bytes when opened, " + now + "): the read at byte offset " + std::to_string(offset) +
         " found no data; was it truncated or rewritten by another process?";
}

Bytes with_stream_position(Bytes chunk, std::shared_ptr<const std::string> name,
                           std::uint64_t first_line, std::uint64_t first_offset) {
  if (chunk.empty()) return chunk;
  const std::byte* data = chunk.data();
  const std::size_t size = chunk.size();
  auto owner =
      std::make_unique<StreamChunk>(std::move(chunk), std::move(name), first_line, first_offset);
  return Bytes(boost::intrusive_ptr<SharedBuffer>(owner.release()), data, size);
}

std::optional<FilePosition> file_position(const Bytes& slice) {
  const SharedBuffer* owner = slice.owner().get();
  FilePosition position;
  if (const auto* file = dynamic_cast<const MappedFile*>(owner)) {
    position = FilePosition{&file->path(), 1, 0};
  } else if (const auto* chunk = dynamic_cast<const StreamChunk*>(owner)) {
    position = FilePosition{&chunk->name(), chunk->first_line(), chunk->first_offset()};
  } else {
    return std::nullopt;
  }
  const char* begin = reinterpret_cast<const char*>(owner->data());
  const char* at = reinterpret_cast<const char*>(slice.data());
  position.offset += static_cast<std::uint64_t>(at - begin);
  for (const char* p = begin;
       (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(at - p)))) !=
       nullptr;
       ++p) {
    ++position.line;
  }
  return position;
}

std::string where_in_file(const Bytes& slice) {
  const auto position = file_position(slice);
  return position ? *position->file + ":" + std::to_string(position->line) : std::string();
}

}  // namespace sw
