#include "streamweave/serde/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <system_error>

namespace sw {

namespace {

class MappedFile final : public SharedBuffer {
 public:
  MappedFile(std::byte* data, std::size_t size) noexcept : SharedBuffer(data, size) {}

 private:
  void dispose() noexcept override {
    ::munmap(mutable_data(), capacity());
    std::default_delete<MappedFile>{}(this);
  }
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
    owner = std::make_unique<MappedFile>(static_cast<std::byte*>(at), size);
  } catch (...) {
    ::munmap(at, size);
    throw;
  }
  const std::byte* data = owner->data();
  return Bytes(boost::intrusive_ptr<SharedBuffer>(owner.release()), data, size);
}

}  // namespace sw
