// Bytes: an immutable, refcounted slice of a shared buffer. BytesMut: a growable writer
// over a pooled buffer that freezes into Bytes without copying.
//
// Copying a Bytes or slicing it takes a reference, never copies bytes; the buffer goes back
// to its pool (or is unmapped, or freed) when the last slice of it is gone. A Bytes may be
// read from any thread; a BytesMut belongs to one thread at a time.
#pragma once

#include <boost/intrusive_ptr.hpp>
#include <cstddef>
#include <cstring>
#include <span>
#include <string_view>

#include "streamweave/serde/buffer_pool.hpp"

namespace sw {

class Bytes {
 public:
  Bytes() noexcept = default;
  // A view of `size` bytes at `data` inside `owner`, which must contain them.
  Bytes(boost::intrusive_ptr<SharedBuffer> owner, const std::byte* data, std::size_t size) noexcept
      : owner_(std::move(owner)), data_(data), size_(size) {}

  // A new buffer from `pool` holding a copy of `bytes`.
  [[nodiscard]] static Bytes copy_of(std::span<const std::byte> bytes,
                                     BufferPool& pool = BufferPool::global());
  [[nodiscard]] static Bytes copy_of(std::string_view text,
                                     BufferPool& pool = BufferPool::global()) {
    return copy_of(std::as_bytes(std::span(text.data(), text.size())), pool);
  }

  [[nodiscard]] const std::byte* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::span<const std::byte> span() const noexcept { return {data_, size_}; }
  [[nodiscard]] std::string_view as_string_view() const noexcept {
    return {reinterpret_cast<const char*>(data_), size_};
  }
  // The bytes [begin, end) of this slice, sharing its buffer. Throws std::out_of_range
  // unless begin <= end <= size().
  [[nodiscard]] Bytes slice(std::size_t begin, std::size_t end) const;
  // The buffer this slice belongs to (null for an empty Bytes made by default).
  [[nodiscard]] const boost::intrusive_ptr<SharedBuffer>& owner() const noexcept { return owner_; }

  // By content.
  friend bool operator==(const Bytes& a, const Bytes& b) noexcept {
    return a.size_ == b.size_ && (a.size_ == 0 || std::memcmp(a.data_, b.data_, a.size_) == 0);
  }

 private:
  boost::intrusive_ptr<SharedBuffer> owner_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

class BytesMut {
 public:
  // Takes no buffer until the first write, then one of the pool's initial capacity.
  explicit BytesMut(BufferPool& pool = BufferPool::global()) noexcept : pool_(&pool) {}
  // Takes a buffer of at least `capacity` bytes now.
  explicit BytesMut(std::size_t capacity, BufferPool& pool = BufferPool::global());

  [[nodiscard]] std::byte* data() noexcept { return buffer_ ? buffer_->mutable_data() : nullptr; }
  [[nodiscard]] const std::byte* data() const noexcept {
    return buffer_ ? buffer_->data() : nullptr;
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return buffer_ ? buffer_->capacity() : 0; }
  [[nodiscard]] std::span<const std::byte> span() const noexcept { return {data(), size_}; }

  // Makes room for `capacity` bytes in all, moving to a larger buffer if needed.
  void reserve(std::size_t capacity);
  // Appends `n` bytes left for the caller to fill; returns where they start. The pointer is
  // valid until the next call that may grow the buffer.
  [[nodiscard]] std::byte* extend(std::size_t n) {
    if (capacity() - size_ < n) grow(n);
    std::byte* at = buffer_->mutable_data() + size_;
    size_ += n;
    return at;
  }
  void append(const void* bytes, std::size_t n) {
    if (n != 0) std::memcpy(extend(n), bytes, n);
  }
  void append(std::string_view text) { append(text.data(), text.size()); }
  void push_back(std::byte b) { *extend(1) = b; }
  // Overwrites bytes already written (e.g. a length or a header filled in last).
  // Throws std::out_of_range unless offset + n <= size().
  void overwrite(std::size_t offset, const void* bytes, std::size_t n);
  // Drops bytes beyond `size`; keeps the buffer.
  void truncate(std::size_t size) noexcept {
    if (size < size_) size_ = size;
  }
  void clear() noexcept { size_ = 0; }

  // The bytes written so far as an immutable Bytes, without copying; this writer is left
  // empty and takes a new buffer on its next write.
  [[nodiscard]] Bytes freeze() noexcept;

 private:
  void grow(std::size_t more);

  BufferPool* pool_;
  boost::intrusive_ptr<SharedBuffer> buffer_;
  std::size_t size_ = 0;
};

}  // namespace sw
