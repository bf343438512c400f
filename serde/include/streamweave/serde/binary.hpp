// The binary codec: little-endian fixed-width numbers, varint lengths, derived for the
// standard types and for aggregates (Boost.PFR).
//
//   sw::Bytes wire = sw::encode(bid);           // any BinaryCodable value
//   Bid back = sw::decode<Bid>(wire);           // throws sw::DecodeError on bad input
//
// Wire format: integers, enums (as their underlying type) and floating point as fixed-width
// little-endian; bool as one byte 0 or 1; strings and containers as a varint (LEB128) length
// followed by their bytes or elements; std::optional as a byte 0/1 then the value;
// std::variant as a varint index then the alternative; tuples, pairs, std::array and
// aggregates as their elements in order, with nothing between them.
//
// A user type that is not an aggregate joins by two free functions found by
// argument-dependent lookup, next to the type:
//   void sw_encode(sw::BinaryWriter& w, const Price& p);   // w.write(p.cents()) ...
//   void sw_decode(sw::BinaryReader& r, Price& p);         // p = Price(r.read<long>()) ...
//
// Decoding checks every length and index against the bytes left before it reads: truncated
// or corrupt input throws DecodeError naming the type and the byte offset; it never reads
// past the input. Encoders and decoders keep no state: any thread, one writer or reader each.
#pragma once

#include <array>
#include <bit>
#include <boost/pfr.hpp>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "streamweave/serde/bytes.hpp"
#include "streamweave/serde/decode_error.hpp"
#include "streamweave/serde/str.hpp"
#include "streamweave/serde/symbol.hpp"
#include "streamweave/serde/type_name.hpp"

namespace sw {

// Set to true for a type described with Boost.Describe to make JSON its wire format (the
// fallback codec), e.g. for a class that is not an aggregate. Needs serde/json.hpp included
// where the type is encoded.
template <class T>
inline constexpr bool kJsonWireFormat = false;

// A Bytes value left out of an encoded buffer: its bytes belong at offset `at` of it.
struct Splice {
  std::size_t at = 0;
  Bytes bytes;
};

class BinaryWriter {
 public:
  explicit BinaryWriter(BytesMut& out) noexcept : out_(&out) {}
  // Bytes and Str values of `min_bytes` and up are not copied into `out` but recorded in
  // `splices` (which must outlive the writer), to be sent from where they are.
  BinaryWriter(BytesMut& out, std::vector<Splice>& splices, std::size_t min_bytes) noexcept
      : out_(&out), splices_(&splices), splice_min_(min_bytes) {}

  void write_bytes(const void* bytes, std::size_t n) { out_->append(bytes, n); }
  // The bytes of a shared, immutable buffer: spliced when this writer splices values this
  // large, else copied.
  void write_shared(const Bytes& bytes) {
    if (splices_ != nullptr && splice_min_ != 0 && bytes.size() >= splice_min_) {
      splices_->push_back({out_->size(), bytes});
      spliced_bytes_ += bytes.size();
    } else {
      write_bytes(bytes.data(), bytes.size());
    }
  }
  // Integers, enums and floating point: fixed width, little-endian.
  template <class T>
  requires std::is_arithmetic_v<T> || std::is_enum_v<T>
  void write_fixed(T value) {
    if constexpr (std::is_enum_v<T>) {
      write_fixed(static_cast<std::underlying_type_t<T>>(value));
    } else if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(out_->extend(sizeof(T)), &value, sizeof(T));
    } else {
      std::byte raw[sizeof(T)];
      std::memcpy(raw, &value, sizeof(T));
      std::byte* at = out_->extend(sizeof(T));
      for (std::size_t i = 0; i < sizeof(T); ++i) at[i] = raw[sizeof(T) - 1 - i];
    }
  }
  // Unsigned LEB128: 7 bits per byte, low bits first; 1 to 10 bytes, always the shortest
  // (readers refuse a value padded with zero bytes).
  void write_varint(std::uint64_t value) {
    std::byte buffer[10];
    std::size_t n = 0;
    while (value >= 0x80) {
      buffer[n++] = static_cast<std::byte>((value & 0x7f) | 0x80);
      value >>= 7;
    }
    buffer[n++] = static_cast<std::byte>(value);
    write_bytes(buffer, n);
  }
  // Any BinaryCodable value (defined below).
  template <class T>
  void write(const T& value);

  [[nodiscard]] BytesMut& bytes() noexcept { return *out_; }
  // The encoding's size so far, spliced values included.
  [[nodiscard]] std::size_t size() const noexcept { return out_->size() + spliced_bytes_; }

  // Where the encoding is now; rewind() drops everything written after it.
  struct Mark {
    std::size_t own = 0;
    std::size_t splices = 0;
    std::size_t spliced_bytes = 0;
  };
  [[nodiscard]] Mark mark() const noexcept {
    return {out_->size(), splices_ != nullptr ? splices_->size() : 0, spliced_bytes_};
  }
  void rewind(const Mark& mark) {
    out_->truncate(mark.own);
    if (splices_ != nullptr) splices_->resize(mark.splices);
    spliced_bytes_ = mark.spliced_bytes;
  }

 private:
  BytesMut* out_;
  std::vector<Splice>* splices_ = nullptr;
  std::size_t splice_min_ = 0;
  std::size_t spliced_bytes_ = 0;
};

class BinaryReader {
 public:
  // Reads `input`; decoded slices (Str) share its buffer.
  explicit BinaryReader(const Bytes& input) noexcept
      : owner_(&input),
        begin_(input.data()),
        at_(input.data()),
        end_(input.data() + input.size()) {}

  [[nodiscard]] std::size_t offset() const noexcept {
    return static_cast<std::size_t>(at_ - begin_);
  }
  [[nodiscard]] std::size_t remaining() const noexcept {
    return static_cast<std::size_t>(end_ - at_);
  }
  [[nodiscard]] const Bytes& input() const noexcept { return *owner_; }

  // The next `n` bytes, consumed; throws DecodeError (naming T) when fewer are left.
  template <class T>
  const std::byte* take(std::size_t n) {
    if (n > remaining()) {
      fail<T>("needs " + std::to_string(n) + " bytes, " + std::to_string(remaining()) + " left");
    }
    const std::byte* at = at_;
    at_ += n;
    return at;
  }
  template <class T>
  requires std::is_arithmetic_v<T> || std::is_enum_v<T> T read_fixed() {
    if constexpr (std::is_enum_v<T>) {
      return static_cast<T>(read_fixed<std::underlying_type_t<T>>());
    } else {
      const std::byte* at = take<T>(sizeof(T));
      T value;
      if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(&value, at, sizeof(T));
      } else {
        std::byte raw[sizeof(T)];
        for (std::size_t i = 0; i < sizeof(T); ++i) raw[i] = at[sizeof(T) - 1 - i];
        std::memcpy(&value, raw, sizeof(T));
      }
      return value;
    }
  }
  template <class T = std::uint64_t>
  std::uint64_t read_varint() {
    const std::size_t start = offset();
    std::uint64_t value = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (at_ == end_) fail<T>(start, "truncated varint");
      const auto byte = static_cast<std::uint8_t>(*at_++);
      if (shift == 63 && byte > 1) fail<T>(start, "varint overflows 64 bits");
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        // One encoding per value: a message that parses re-encodes to the same bytes, so a
        // checksum or a comparison over the bytes means the same as over the values.
        if (byte == 0 && shift != 0) fail<T>(start, "varint not in its shortest form");
        return value;
      }
    }
    fail<T>(start, "varint longer than 10 bytes");
  }
  // A length of elements of T, each at least `min_bytes` long on the wire: it cannot claim
  // more elements than the bytes left could hold, so corrupt input cannot make a decoder
  // allocate without bound.
  template <class T>
  std::size_t read_length(std::size_t min_bytes) {
    const std::size_t start = offset();
    const std::uint64_t n = read_varint<T>();
    const std::uint64_t limit =
        min_bytes == 0 ? std::max<std::uint64_t>(remaining(), 1u << 20) : remaining() / min_bytes;
    if (n > limit) {
      fail<T>(start, "length " + std::to_string(n) + " exceeds the " + std::to_string(remaining()) +
                         " bytes left");
    }
    return static_cast<std::size_t>(n);
  }
  // Any BinaryCodable value (defined below).
  template <class T>
  void read(T& value);
  template <class T>
  T read() {
    T value{};
    read(value);
    return value;
  }

  template <class T>
  [[noreturn]] void fail(const std::string& message) const {
    fail<T>(offset(), message);
  }
  template <class T>
  [[noreturn]] void fail(std::size_t at, const std::string& message) const {
    throw DecodeError(std::string(type_name<T>()), at, message);
  }

 private:
  const Bytes* owner_;
  const std::byte* begin_;
  const std::byte* at_;
  const std::byte* end_;
};

// Bytes, Str and Symbol are encoded as strings. Bytes and Str decode as slices of the input
// (no copy, no allocation); a Symbol is interned again from the text.
inline void sw_encode(BinaryWriter& w, const Bytes& b) {
  w.write_varint(b.size());
  w.write_shared(b);
}
inline void sw_decode(BinaryReader& r, Bytes& b) {
  const std::size_t n = r.read_length<Bytes>(1);
  const std::size_t start = r.offset();
  (void)r.take<Bytes>(n);
  b = r.input().slice(start, start + n);
}
inline void sw_encode(BinaryWriter& w, const Str& s) {
  sw_encode(w, s.bytes());
}
inline void sw_decode(BinaryReader& r, Str& s) {
  const std::size_t n = r.read_length<Str>(1);
  const std::size_t start = r.offset();
  (void)r.take<Str>(n);
  s = Str(r.input().slice(start, start + n));
}
inline void sw_encode(BinaryWriter& w, const Symbol& s) {
  w.write_varint(s.size());
  w.write_bytes(s.view().data(), s.size());
}
inline void sw_decode(BinaryReader& r, Symbol& s) {
  const std::size_t n = r.read_length<Symbol>(1);
  const std::byte* at = r.take<Symbol>(n);
  s = Symbol(std::string_view(reinterpret_cast<const char*>(at), n));
}

namespace detail {

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_std_array : std::false_type {};
template <class T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_tuple : std::false_type {};
template <class... Ts>
struct is_tuple<std::tuple<Ts...>> : std::true_type {};
template <class A, class B>
struct is_tuple<std::pair<A, B>> : std::true_type {};
template <class T>
struct is_variant : std::false_type {};
template <class... Ts>
struct is_variant<std::variant<Ts...>> : std::true_type {};

namespace adl {
// Poison pills: only functions found by argument-dependent lookup qualify.
void sw_encode() = delete;
void sw_decode() = delete;
template <class T>
concept HasEncode = requires(BinaryWriter& w, const T& v) {
  sw_encode(w, v);
};
template <class T>
concept HasDecode = requires(BinaryReader& r, T& v) {
  sw_decode(r, v);
};
template <class T>
void encode(BinaryWriter& w, const T& v) {
  sw_encode(w, v);
}
template <class T>
void decode(BinaryReader& r, T& v) {
  sw_decode(r, v);
}
}  // namespace adl

template <class T>
constexpr bool is_bulk_copyable = (std::is_arithmetic_v<T> &&
                                   !std::is_same_v<T, bool>)&&std::endian::native
                                  == std::endian::little;

template <class T>
constexpr bool codable() noexcept;

template <class Tuple, std::size_t... I>
constexpr bool all_codable(std::index_sequence<I...>) noexcept {
  return (codable<std::tuple_element_t<I, Tuple>>() && ...);
}
template <class T, std::size_t... I>
constexpr bool all_fields_codable(std::index_sequence<I...>) noexcept {
  return (codable<boost::pfr::tuple_element_t<I, T>>() && ...);
}
template <class... Ts>
constexpr bool variant_codable(std::variant<Ts...>*) noexcept {
  return (codable<Ts>() && ...);
}

template <class T>
constexpr bool codable() noexcept {
  if constexpr (kJsonWireFormat<T>) {
    return true;
  } else if constexpr (adl::HasEncode<T> && adl::HasDecode<T>) {
    return true;
  } else if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
    return true;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return true;
  } else if constexpr (is_vector<T>::value || is_std_array<T>::value || is_optional<T>::value) {
    return codable<typename T::value_type>();
  } else if constexpr (is_tuple<T>::value) {
    return all_codable<T>(std::make_index_sequence<std::tuple_size_v<T>>{});
  } else if constexpr (is_variant<T>::value) {
    return variant_codable(static_cast<T*>(nullptr));
  } else if constexpr (std::is_aggregate_v<T> && !std::is_array_v<T> &&
                       std::is_default_constructible_v<T>) {
    return all_fields_codable<T>(std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
  } else {
    return false;
  }
}

// The fewest bytes a value of T takes on the wire (0 when unknown).
template <class T>
constexpr std::size_t min_wire_bytes() noexcept;
template <class Tuple, std::size_t... I>
constexpr std::size_t min_tuple_bytes(std::index_sequence<I...>) noexcept {
  return (std::size_t{0} + ... + min_wire_bytes<std::tuple_element_t<I, Tuple>>());
}
template <class T, std::size_t... I>
constexpr std::size_t min_fields_bytes(std::index_sequence<I...>) noexcept {
  return (std::size_t{0} + ... + min_wire_bytes<boost::pfr::tuple_element_t<I, T>>());
}
template <class T>
constexpr std::size_t min_wire_bytes() noexcept {
  if constexpr (kJsonWireFormat<T>) {
    return 1;
  } else if constexpr (adl::HasEncode<T>) {
    return 0;
  } else if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
    return sizeof(T);
  } else if constexpr (is_std_array<T>::value) {
    return std::tuple_size_v<T> * min_wire_bytes<typename T::value_type>();
  } else if constexpr (is_tuple<T>::value) {
    return min_tuple_bytes<T>(std::make_index_sequence<std::tuple_size_v<T>>{});
  } else if constexpr (std::is_same_v<T, std::string> || is_vector<T>::value ||
                       is_optional<T>::value || is_variant<T>::value) {
    return 1;
  } else if constexpr (std::is_aggregate_v<T>) {
    return min_fields_bytes<T>(std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
  } else {
    return 0;
  }
}

}  // namespace detail

// A type the binary codec can encode and decode: see the top of this file.
template <class T>
concept BinaryCodable = detail::codable<std::remove_cv_t<T>>();

template <class T>
void BinaryWriter::write(const T& value) {
  static_assert(BinaryCodable<T>, "no binary codec for this type: see serde/binary.hpp");
  if constexpr (kJsonWireFormat<T>) {
    json_wire_encode(*this, value);  // serde/json.hpp
  } else if constexpr (detail::adl::HasEncode<T>) {
    detail::adl::encode(*this, value);
  } else if constexpr (std::is_same_v<T, bool>) {
    write_fixed(static_cast<std::uint8_t>(value ? 1 : 0));
  } else if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
    write_fixed(value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    write_varint(value.size());
    write_bytes(value.data(), value.size());
  } else if constexpr (detail::is_vector<T>::value) {
    write_varint(value.size());
    if constexpr (detail::is_bulk_copyable<typename T::value_type>) {
      write_bytes(value.data(), value.size() * sizeof(typename T::value_type));
    } else {
      for (const auto& element : value) write(element);
    }
  } else if constexpr (detail::is_std_array<T>::value) {
    for (const auto& element : value) write(element);
  } else if constexpr (detail::is_optional<T>::value) {
    write_fixed(static_cast<std::uint8_t>(value.has_value() ? 1 : 0));
    if (value) write(*value);
  } else if constexpr (detail::is_tuple<T>::value) {
    std::apply([&](const auto&... elements) { (write(elements), ...); }, value);
  } else if constexpr (detail::is_variant<T>::value) {
    write_varint(value.index());
    std::visit([&](const auto& alternative) { write(alternative); }, value);
  } else {
    boost::pfr::for_each_field(value, [this](const auto& field) { write(field); });
  }
}

namespace detail {
template <class V, std::size_t I = 0>
void read_alternative(BinaryReader& r, V& value, std::size_t index) {
  if constexpr (I < std::variant_size_v<V>) {
    if (index == I) {
      r.read(value.template emplace<I>());
      return;
    }
    read_alternative<V, I + 1>(r, value, index);
  }
}
}  // namespace detail

template <class T>
void BinaryReader::read(T& value) {
  static_assert(BinaryCodable<T>, "no binary codec for this type: see serde/binary.hpp");
  if constexpr (kJsonWireFormat<T>) {
    json_wire_decode(*this, value);  // serde/json.hpp
  } else if constexpr (detail::adl::HasDecode<T>) {
    detail::adl::decode(*this, value);
  } else if constexpr (std::is_same_v<T, bool>) {
    const std::size_t at = offset();
    const auto b = read_fixed<std::uint8_t>();
    if (b > 1) fail<bool>(at, "byte " + std::to_string(b) + " is not 0 or 1");
    value = b == 1;
  } else if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
    value = read_fixed<T>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    const std::size_t n = read_length<T>(1);
    const std::byte* at = take<T>(n);
    value.assign(reinterpret_cast<const char*>(at), n);
  } else if constexpr (detail::is_vector<T>::value) {
    using E = typename T::value_type;
    const std::size_t n = read_length<T>(detail::min_wire_bytes<E>());
    if constexpr (detail::is_bulk_copyable<E>) {
      const std::byte* at = take<T>(n * sizeof(E));
      value.resize(n);
      if (n != 0) std::memcpy(value.data(), at, n * sizeof(E));
    } else {
      value.clear();
      value.reserve(n);
      for (std::size_t i = 0; i < n; ++i) read(value.emplace_back());
    }
  } else if constexpr (detail::is_std_array<T>::value) {
    for (auto& element : value) read(element);
  } else if constexpr (detail::is_optional<T>::value) {
    const std::size_t at = offset();
    const auto flag = read_fixed<std::uint8_t>();
    if (flag > 1) fail<T>(at, "presence byte " + std::to_string(flag) + " is not 0 or 1");
    if (flag == 0) {
      value.reset();
    } else {
      read(value.emplace());
    }
  } else if constexpr (detail::is_tuple<T>::value) {
    std::apply([&](auto&... elements) { (read(elements), ...); }, value);
  } else if constexpr (detail::is_variant<T>::value) {
    const std::size_t at = offset();
    const std::uint64_t index = read_varint<T>();
    if (index >= std::variant_size_v<T>) {
      fail<T>(at, "alternative " + std::to_string(index) + " of " +
                      std::to_string(std::variant_size_v<T>));
    }
    detail::read_alternative(*this, value, static_cast<std::size_t>(index));
  } else {
    boost::pfr::for_each_field(value, [this](auto& field) { read(field); });
  }
}

// Appends the encoding of `value` to `out`.
template <BinaryCodable T>
void encode(BytesMut& out, const T& value) {
  BinaryWriter(out).write(value);
}

// The encoding of `value` in a new buffer from `pool`.
template <BinaryCodable T>
[[nodiscard]] Bytes encode(const T& value, BufferPool& pool = BufferPool::global()) {
  BytesMut out(pool);
  encode(out, value);
  return out.freeze();
}

// The value encoded in all of `input`. Throws DecodeError when `input` is truncated, corrupt
// or longer than one value.
template <BinaryCodable T>
requires std::default_initializable<T>
[[nodiscard]] T decode(const Bytes& input) {
  BinaryReader reader(input);
  T value{};
  reader.read(value);
  if (reader.remaining() != 0) {
    reader.fail<T>(std::to_string(reader.remaining()) + " bytes left over after the value");
  }
  return value;
}

}  // namespace sw
