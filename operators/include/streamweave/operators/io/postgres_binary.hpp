// PostgreSQL's binary COPY format for a row type: a struct described with
// BOOST_DESCRIBE_STRUCT, one column per member, named as the member. What each member type
// is in PostgreSQL:
//   bool -> boolean; std::int16_t -> smallint; std::int32_t -> integer;
//   std::int64_t, std::uint32_t, std::uint64_t (up to 2^63 - 1) -> bigint;
//   float -> real; double -> double precision; std::string, Str, Symbol -> text;
//   std::optional<T> -> T, nullable (NULL is nullopt).
// The format: a header, then per row a 16-bit field count and per field a 32-bit length (-1:
// NULL) and the value, big-endian; a 16-bit -1 at the end.
#pragma once

#include <bit>
#include <boost/describe.hpp>
#include <boost/mp11.hpp>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "streamweave/serde/str.hpp"
#include "streamweave/serde/symbol.hpp"

namespace sw::pg {

inline constexpr std::string_view kCopyHeader{"PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19};
inline constexpr std::string_view kCopyTrailer{"\377\377", 2};

// True when `text` may be a text value: valid UTF-8, no NUL byte.
[[nodiscard]] bool valid_text(std::string_view text) noexcept;

namespace detail {

template <class I>
void put_big_endian(std::string& out, I value) {
  using U = std::make_unsigned_t<I>;
  U u = static_cast<U>(value);
  if constexpr (std::endian::native == std::endian::little && sizeof(U) > 1) {
    if constexpr (sizeof(U) == 2) u = __builtin_bswap16(u);
    if constexpr (sizeof(U) == 4) u = __builtin_bswap32(u);
    if constexpr (sizeof(U) == 8) u = __builtin_bswap64(u);
  }
  char bytes[sizeof(U)];
  std::memcpy(bytes, &u, sizeof(U));
  out.append(bytes, sizeof(U));
}

template <class I>
I get_big_endian(const char* in) noexcept {
  using U = std::make_unsigned_t<I>;
  U u;
  std::memcpy(&u, in, sizeof(U));
  if constexpr (std::endian::native == std::endian::little && sizeof(U) > 1) {
    if constexpr (sizeof(U) == 2) u = __builtin_bswap16(u);
    if constexpr (sizeof(U) == 4) u = __builtin_bswap32(u);
    if constexpr (sizeof(U) == 8) u = __builtin_bswap64(u);
  }
  return static_cast<I>(u);
}

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

}  // namespace detail

// What a member type is in PostgreSQL; `supported` is false for any other type.
template <class T>
struct Column {
  static constexpr bool supported = false;
};

template <class T, std::uint32_t Oid, const char* Name>
struct FixedColumn {
  static constexpr bool supported = true;
  static constexpr bool nullable = false;
  static constexpr std::uint32_t oid = Oid;
  static constexpr const char* sql = Name;
};

inline constexpr char kBoolean[] = "boolean";
inline constexpr char kSmallint[] = "smallint";
inline constexpr char kInteger[] = "integer";
inline constexpr char kBigint[] = "bigint";
inline constexpr char kReal[] = "real";
inline constexpr char kDouble[] = "double precision";
inline constexpr char kText[] = "text";

template <>
struct Column<bool> : FixedColumn<bool, 16, kBoolean> {
  static void encode(std::string& out, bool v, const char*) {
    detail::put_big_endian<std::int32_t>(out, 1);
    out.push_back(v ? '\1' : '\0');
  }
  static bool decode(std::string_view in) { return in.at(0) != 0; }
  static constexpr std::size_t size = 1;
};

// Integers and floating point: fixed-size, big-endian.
template <class T, class Wire, std::uint32_t Oid, const char* Name>
struct NumberColumn : FixedColumn<T, Oid, Name> {
  static constexpr std::size_t size = sizeof(Wire);
  static void encode(std::string& out, T v, const char* column) {
    detail::put_big_endian<std::int32_t>(out, static_cast<std::int32_t>(sizeof(Wire)));
    if constexpr (std::is_floating_point_v<Wire>) {
      using Bits = std::conditional_t<sizeof(Wire) == 4, std::uint32_t, std::uint64_t>;
      detail::put_big_endian(out, std::bit_cast<Bits>(static_cast<Wire>(v)));
    } else {
      if constexpr (std::is_unsigned_v<T> && sizeof(T) == sizeof(Wire)) {
        if (v > static_cast<T>(std::numeric_limits<Wire>::max())) {
          throw std::out_of_range(std::string("column ") + column + ": " + std::to_string(v) +
                                  " does not fit a bigint");
        }
      }
      detail::put_big_endian(out, static_cast<Wire>(v));
    }
  }
  static T decode(std::string_view in) {
    if constexpr (std::is_floating_point_v<Wire>) {
      using Bits = std::conditional_t<sizeof(Wire) == 4, std::uint32_t, std::uint64_t>;
      return static_cast<T>(std::bit_cast<Wire>(detail::get_big_endian<Bits>(in.data())));
    } else {
      const Wire w = detail::get_big_endian<Wire>(in.data());
      if constexpr (std::is_unsigned_v<T>) {
        if (w < 0 || static_cast<std::make_unsigned_t<Wire>>(w) > std::numeric_limits<T>::max()) {
          throw std::out_of_range(std::to_string(w) + " does not fit the member's type");
        }
      }
      return static_cast<T>(w);
    }
  }
};

template <>
struct Column<std::int16_t> : NumberColumn<std::int16_t, std::int16_t, 21, kSmallint> {};
template <>
struct Column<std::int32_t> : NumberColumn<std::int32_t, std::int32_t, 23, kInteger> {};
template <>
struct Column<std::int64_t> : NumberColumn<std::int64_t, std::int64_t, 20, kBigint> {};
template <>
struct Column<std::uint32_t> : NumberColumn<std::uint32_t, std::int64_t, 20, kBigint> {};
template <>
struct Column<std::uint64_t> : NumberColumn<std::uint64_t, std::int64_t, 20, kBigint> {};
template <>
struct Column<float> : NumberColumn<float, float, 700, kReal> {};
template <>
struct Column<double> : NumberColumn<double, double, 701, kDouble> {};

template <class T>
requires(std::is_same_v<T, std::string> || std::is_same_v<T, Str> ||
         std::is_same_v<T, Symbol>) struct Column<T> : FixedColumn<T, 25, kText> {
  static constexpr std::size_t size = 0;  // any
  static void encode(std::string& out, const T& v, const char* column) {
    std::string_view text;
    if constexpr (std::is_same_v<T, Symbol>) {
      text = v.view();
    } else {
      text = std::string_view(v);
    }
    if (!valid_text(text)) {
      throw std::invalid_argument(std::string("column ") + column +
                                  ": not valid UTF-8 text (or holds a NUL byte)");
    }
    if (text.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
      throw std::length_error(std::string("column ") + column + ": longer than 2 GiB");
    }
    detail::put_big_endian(out, static_cast<std::int32_t>(text.size()));
    out.append(text);
  }
  static T decode(std::string_view in) { return T(in); }
};

template <class T>
struct Column<std::optional<T>> : Column<T> {
  static constexpr bool nullable = true;
  static void encode(std::string& out, const std::optional<T>& v, const char* column) {
    if (v) {
      Column<T>::encode(out, *v, column);
    } else {
      detail::put_big_endian<std::int32_t>(out, -1);
    }
  }
  static std::optional<T> decode(std::string_view in) { return Column<T>::decode(in); }
};

namespace detail {
template <class T>
consteval bool all_members_are_columns() {
  bool all = true;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
      [&](auto member) {
        using M = std::remove_cvref_t<decltype(std::declval<T&>().*decltype(member)::pointer)>;
        all = all && Column<M>::supported;
      });
  return all;
}
}  // namespace detail

// A struct described with BOOST_DESCRIBE_STRUCT whose members all have a Column.
template <class T>
concept PostgresRow = boost::describe::has_describe_members<T>::value &&
    detail::all_members_are_columns<T>();

// One column of a row type: its name, type, and whether it may be NULL.
struct ColumnSpec {
  std::string name;
  std::uint32_t oid = 0;
  std::string sql;  // the type's name in PostgreSQL ("bigint")
  bool nullable = false;
};

template <PostgresRow T>
[[nodiscard]] std::vector<ColumnSpec> columns_of() {
  std::vector<ColumnSpec> out;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
      [&](auto member) {
        using M = std::remove_cvref_t<decltype(std::declval<T&>().*decltype(member)::pointer)>;
        out.push_back({member.name, Column<M>::oid, Column<M>::sql, Column<M>::nullable});
      });
  return out;
}

// Appends `row` as one tuple of a binary COPY. Throws, naming the column, for a value
// PostgreSQL would refuse (text that is not UTF-8, an unsigned past bigint's range); `out`
// then holds part of the tuple, which the caller cuts off.
template <PostgresRow T>
void encode_row(std::string& out, const T& row) {
  using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
  detail::put_big_endian(out, static_cast<std::int16_t>(boost::mp11::mp_size<Members>::value));
  boost::mp11::mp_for_each<Members>([&](auto member) {
    using M = std::remove_cvref_t<decltype(row.*decltype(member)::pointer)>;
    Column<M>::encode(out, row.*decltype(member)::pointer, member.name);
  });
}

// One tuple's fields: each a value, or nullopt for NULL.
using TupleFields = std::vector<std::optional<std::string_view>>;

// The row of a tuple's fields, in the members' order. Throws std::invalid_argument naming
// the column for a NULL in a member that is not optional, or a value of the wrong size.
template <PostgresRow T>
[[nodiscard]] T decode_row(const TupleFields& fields) {
  using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
  if (fields.size() != boost::mp11::mp_size<Members>::value) {
    throw std::invalid_argument("a row of " + std::to_string(fields.size()) + " columns, not " +
                                std::to_string(boost::mp11::mp_size<Members>::value));
  }
  T row{};
  std::size_t i = 0;
  boost::mp11::mp_for_each<Members>([&](auto member) {
    using M = std::remove_cvref_t<decltype(row.*decltype(member)::pointer)>;
    const std::optional<std::string_view>& field = fields[i++];
    if (!field) {
      if constexpr (!Column<M>::nullable) {
        throw std::invalid_argument(std::string("column ") + member.name +
                                    ": NULL in a member that is not std::optional");
      }
      return;
    }
    if (Column<M>::size != 0 && field->size() != Column<M>::size) {
      throw std::invalid_argument(std::string("column ") + member.name + ": " +
                                  std::to_string(field->size()) + " bytes, not " +
                                  std::to_string(Column<M>::size));
    }
    row.*decltype(member)::pointer = Column<M>::decode(*field);
  });
  return row;
}

}  // namespace sw::pg
