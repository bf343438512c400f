#include "streamweave/serde/bytes.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace sw {

Bytes Bytes::copy_of(std::span<const std::byte> bytes, BufferPool& pool) {
  BytesMut out(bytes.size(), pool);
  out.append(bytes.data(), bytes.size());
  return out.freeze();
}

Bytes Bytes::slice(std::size_t begin, std::size_t end) const {
  if (begin > end || end > size_) {
    throw std::out_of_range("Bytes::slice(" + std::to_string(begin) + ", " + std::to_string(end) +
                            ") of " + std::to_string(size_) + " bytes");
  }
  if (begin == end) return {};
  return Bytes(owner_, data_ + begin, end - begin);
}

BytesMut::BytesMut(std::size_t capacity, BufferPool& pool) : pool_(&pool) {
  if (capacity != 0) buffer_.reset(pool.acquire(capacity));
}

void BytesMut::reserve(std::size_t capacity) {
  if (capacity > this->capacity()) grow(capacity - size_);
}

void BytesMut::grow(std::size_t more) {
  const std::size_t needed = size_ + more;
  if (needed < size_) throw std::length_error("BytesMut: size overflow");
  const std::size_t target = std::max({needed, capacity() * 2, pool_->options().initial_capacity});
  boost::intrusive_ptr<SharedBuffer> bigger(pool_->acquire(target));
  if (size_ != 0) std::memcpy(bigger->mutable_data(), buffer_->data(), size_);
  buffer_ = std::move(bigger);
}

void BytesMut::overwrite(std::size_t offset, const void* bytes, std::size_t n) {
  if (offset > size_ || n > size_ - offset) {
    throw std::out_of_range("BytesMut::overwrite at " + std::to_string(offset) + " of " +
                            std::to_string(n) + " bytes beyond size " + std::to_string(size_));
  }
  if (n != 0) std::memcpy(buffer_->mutable_data() + offset, bytes, n);
}

Bytes BytesMut::freeze() noexcept {
  if (size_ == 0) return {};
  const std::byte* at = buffer_->data();
  const std::size_t n = std::exchange(size_, 0);
  return Bytes(std::move(buffer_), at, n);
}

}  // namespace sw
