// StrArena: builds many small strings into shared pooled chunks and hands each out as a Str
// slice, so a producer that makes text per item (a generator, a parser) pays one pooled
// buffer per chunk instead of one allocation per string.
//
// Thread safety: an arena belongs to one thread; the Strs it returns may go anywhere (a
// chunk is only appended to, never rewritten, and lives while any slice of it does).
#pragma once

#include <boost/intrusive_ptr.hpp>
#include <cstddef>
#include <cstring>
#include <string_view>

#include "streamweave/serde/buffer_pool.hpp"
#include "streamweave/serde/bytes.hpp"
#include "streamweave/serde/str.hpp"

namespace sw {

class StrArena {
 public:
  static constexpr std::size_t kDefaultChunkBytes = 64 * 1024;

  explicit StrArena(BufferPool& pool = BufferPool::global(),
                    std::size_t chunk_bytes = kDefaultChunkBytes) noexcept
      : pool_(&pool), chunk_bytes_(chunk_bytes) {}
  // Not copyable: two arenas would append to one chunk, over each other's strings.
  StrArena(const StrArena&) = delete;
  StrArena& operator=(const StrArena&) = delete;
  StrArena(StrArena&&) noexcept = default;
  StrArena& operator=(StrArena&&) noexcept = default;
  ~StrArena() = default;

  // Room for `n` bytes of one string: write them at the returned pointer, then call
  // commit(n) (or a smaller count) before asking for room again.
  [[nodiscard]] char* reserve(std::size_t n) {
    if (chunk_ == nullptr || used_ + n > chunk_->capacity()) {
      chunk_.reset(pool_->acquire(n > chunk_bytes_ ? n : chunk_bytes_));
      used_ = 0;
    }
    return reinterpret_cast<char*>(chunk_->mutable_data() + used_);
  }
  // The `n` bytes written at reserve()'s pointer, as a Str.
  [[nodiscard]] Str commit(std::size_t n) {
    if (n == 0) return Str{};
    const std::byte* at = chunk_->mutable_data() + used_;
    used_ += n;
    return Str(Bytes(chunk_, at, n));
  }
  // A copy of `text`.
  [[nodiscard]] Str copy(std::string_view text) {
    char* at = reserve(text.size());
    if (!text.empty()) std::memcpy(at, text.data(), text.size());
    return commit(text.size());
  }

 private:
  BufferPool* pool_;
  std::size_t chunk_bytes_;
  boost::intrusive_ptr<SharedBuffer> chunk_;
  std::size_t used_ = 0;
};

}  // namespace sw
