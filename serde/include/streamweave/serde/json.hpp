// The JSON codec: simdjson (on-demand) for reading into structs described with
// BOOST_DESCRIBE_STRUCT, and a writer with correct escaping and round-tripping numbers.
//
//   struct Bid { std::uint64_t auction; std::int64_t price; std::string channel; };
//   BOOST_DESCRIBE_STRUCT(Bid, (), (auction, price, channel))
//   Bid b = sw::from_json<Bid>(R"({"auction": 1, "price": 20, "channel": "web"})");
//   std::string text = sw::to_json(b);
//
// Supported: described structs (fields by name, any order; std::optional fields may be
// missing or null), bool, integers (range-checked), floating point, std::string, Str,
// Symbol, enums (by name when described with BOOST_DESCRIBE_ENUM, else by number),
// std::vector, std::array, std::optional. A missing, extra or wrong-typed field, or malformed
// JSON, throws JsonError naming the field path, the line and the byte offset.
//
// A described type may also travel in frames as JSON (the fallback codec) by declaring
//   template <> inline constexpr bool sw::kJsonWireFormat<MyType> = true;
// Thread safety: every function may be called from any thread (the parser is per thread).
#pragma once

#include <simdjson.h>

#include <array>
#include <boost/describe.hpp>
#include <boost/mp11/algorithm.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "streamweave/serde/binary.hpp"
#include "streamweave/serde/decode_error.hpp"
#include "streamweave/serde/str.hpp"
#include "streamweave/serde/symbol.hpp"
#include "streamweave/serde/type_name.hpp"

namespace sw {

// Bad JSON input. what(): "<file>:<line>: field '<path>': <message> (<type>, byte <offset>)"
// ("line <line>: ..." without a file name); type() is the type decoded at the top level,
// offset() the byte where the problem was found.
class JsonError : public DecodeError {
 public:
  JsonError(std::string type, std::size_t offset, std::size_t line, std::string path,
            const std::string& message)
      : DecodeError(Verbatim{}, std::move(type), offset, message),
        line_(line),
        path_(std::move(path)) {}
  [[nodiscard]] std::size_t line() const noexcept { return line_; }
  // The field, e.g. "bid.tags[2]" ("" for the whole document).
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::size_t line_;
  std::string path_;
};

// Where the input comes from, for error messages: a file name and the line the text starts
// on (JSON-lines readers pass each line's number).
struct JsonSource {
  std::string_view name;
  std::size_t first_line = 1;
  std::uint64_t first_offset = 0;  // of the text in the file: errors give file offsets
};

namespace detail::json {

using detail::is_optional;
using detail::is_vector;
template <class T>
using is_array = detail::is_std_array<T>;

template <class T>
constexpr bool codable() noexcept {
  if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T> || std::is_same_v<T, std::string> ||
                std::is_same_v<T, Str> || std::is_same_v<T, Symbol>) {
    return true;
  } else if constexpr (is_vector<T>::value || is_array<T>::value || is_optional<T>::value) {
    return codable<typename T::value_type>();
  } else if constexpr (boost::describe::has_describe_members<T>::value) {
    bool all = true;
    using Members = boost::describe::describe_members<T, boost::describe::mod_any_access>;
    boost::mp11::mp_for_each<Members>([&](auto member) {
      using M = std::remove_cvref_t<decltype(std::declval<T&>().*member.pointer)>;
      all = all && codable<M>();
    });
    return all;
  } else {
    return false;
  }
}

}  // namespace detail::json

// A type the JSON codec can read and write: see the top of this file.
template <class T>
concept JsonCodable = detail::json::codable<std::remove_cv_t<T>>();

// ---------------------------------------------------------------------------------------
// Writing

namespace detail::json {

inline void write_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // bytes copied as they are, flushed in one append
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

template <class T>
void write_number(std::string& out, T value) {
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(value)) {
      throw std::invalid_argument("JSON has no representation for " + std::to_string(value));
    }
  }
  char buffer[64];
  // Shortest form that reads back to the same value.
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
}

template <class T>
void write(std::string& out, const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    out.append(value ? "true" : "false");
  } else if constexpr (std::is_same_v<T, char>) {
    write_string(out, std::string_view(&value, 1));
  } else if constexpr (std::is_arithmetic_v<T>) {
    write_number(out, value);
  } else if constexpr (std::is_enum_v<T>) {
    if constexpr (boost::describe::has_describe_enumerators<T>::value) {
      const char* name = boost::describe::enum_to_string(value, nullptr);
      if (name != nullptr) {
        write_string(out, name);
        return;
      }
    }
    write_number(out, static_cast<std::underlying_type_t<T>>(value));
  } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, Str>) {
    write_string(out, std::string_view(value));
  } else if constexpr (std::is_same_v<T, Symbol>) {
    write_string(out, value.view());
  } else if constexpr (is_optional<T>::value) {
    if (value) {
      write(out, *value);
    } else {
      out.append("null");
    }
  } else if constexpr (is_vector<T>::value || is_array<T>::value) {
    out.push_back('[');
    bool first = true;
    for (const auto& element : value) {
      if (!first) out.push_back(',');
      first = false;
      write(out, element);
    }
    out.push_back(']');
  } else {
    out.push_back('{');
    bool first = true;
    using Members = boost::describe::describe_members<T, boost::describe::mod_any_access>;
    boost::mp11::mp_for_each<Members>([&](auto member) {
      if (!first) out.push_back(',');
      first = false;
      write_string(out, member.name);
      out.push_back(':');
      write(out, value.*member.pointer);
    });
    out.push_back('}');
  }
}

}  // namespace detail::json

// Appends `value` as JSON to `out`. Throws std::invalid_argument for a NaN or infinity.
template <JsonCodable T>
void append_json(std::string& out, const T& value) {
  detail::json::write(out, value);
}

template <JsonCodable T>
[[nodiscard]] std::string to_json(const T& value) {
  std::string out;
  append_json(out, value);
  return out;
}

// ---------------------------------------------------------------------------------------
// Reading

namespace detail::json {

namespace od = simdjson::ondemand;

class Reader {
 public:
  Reader(std::string_view type, std::string_view text, JsonSource source)
      : type_(type), text_(text), source_(source) {}

  template <class T, class V>
  void read(V& v, T& out) {
    if constexpr (std::is_arithmetic_v<T>) {
      read_number(v, out);
    } else if constexpr (std::is_enum_v<T>) {
      read_enum(v, out);
    } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, Str> ||
                         std::is_same_v<T, Symbol>) {
      std::string_view s;
      check(v.get_string().get(s), v, "a string");
      if constexpr (std::is_same_v<T, std::string>) {
        out.assign(s);  // keeps the string's storage
      } else {
        out = T(s);
      }
    } else if constexpr (is_optional<T>::value) {
      bool null = false;
      if (v.is_null().get(null) == simdjson::SUCCESS && null) {
        out.reset();
      } else {
        read(v, out.emplace());
      }
    } else if constexpr (is_vector<T>::value || is_array<T>::value) {
      read_array(v, out);
    } else {
      read_struct(v, out);
    }
  }

  template <class T, class V>
  void read_number(V& v, T& out) {
    if constexpr (std::is_same_v<T, bool>) {
      check(v.get_bool().get(out), v, "a boolean");
    } else if constexpr (std::is_same_v<T, char>) {
      std::string_view s;
      check(v.get_string().get(s), v, "a one-character string");
      if (s.size() != 1) fail(v, "expected a one-character string");
      out = s[0];
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      std::int64_t x = 0;
      check(v.get_int64().get(x), v, "an integer");
      if (x < std::numeric_limits<T>::min() || x > std::numeric_limits<T>::max()) {
        fail(v,
             "integer " + std::to_string(x) + " out of range for " + std::string(type_name<T>()));
      }
      out = static_cast<T>(x);
    } else if constexpr (std::is_integral_v<T>) {
      std::uint64_t x = 0;
      check(v.get_uint64().get(x), v, "an unsigned integer");
      if (x > std::numeric_limits<T>::max()) {
        fail(v,
             "integer " + std::to_string(x) + " out of range for " + std::string(type_name<T>()));
      }
      out = static_cast<T>(x);
    } else {
      double x = 0;
      check(v.get_double().get(x), v, "a number");
      out = static_cast<T>(x);
    }
  }

  template <class T, class V>
  void read_array(V& v, T& out) {
    od::array array;
    check(v.get_array().get(array), v, "an array");
    std::size_t i = 0;
    if constexpr (is_vector<T>::value) out.clear();
    for (auto element : array) {
      od::value item;
      if (element.get(item) != simdjson::SUCCESS) fail_at(location(v), "malformed array");
      path_.push_back(Step{nullptr, i});
      if constexpr (is_vector<T>::value) {
        read(item, out.emplace_back());
      } else {
        if (i >= out.size()) fail(item, "more than " + std::to_string(out.size()) + " elements");
        read(item, out[i]);
      }
      path_.pop_back();
      ++i;
    }
    if constexpr (is_array<T>::value) {
      if (i != out.size()) {
        fail(v, std::to_string(i) + " elements, expected " + std::to_string(out.size()));
      }
    }
  }

  // The raw text of `v` (value and document differ in whether this can fail).
  template <class V>
  static std::string_view raw_token(V& v) noexcept {
    if constexpr (std::is_same_v<decltype(v.raw_json_token()), std::string_view>) {
      return v.raw_json_token();
    } else {
      std::string_view token;
      if (v.raw_json_token().get(token) != simdjson::SUCCESS) return {};
      return token;
    }
  }

  // Offset into the text of where `v` starts.
  template <class V>
  std::size_t location(V& v) {
    const std::string_view token = raw_token(v);
    if (token.data() != nullptr && token.data() >= text_.data() &&
        token.data() <= text_.data() + text_.size()) {
      return static_cast<std::size_t>(token.data() - text_.data());
    }
    return last_ok_;
  }

  [[noreturn]] void fail_at(std::size_t offset, const std::string& message) const {
    std::size_t line = source_.first_line;
    for (std::size_t i = 0; i < offset && i < text_.size(); ++i) line += text_[i] == '\n';
    std::string path = path_text();
    std::string what;
    if (source_.name.empty()) {
      what.append("line ");
    } else {
      what.append(source_.name).append(":");
    }
    what.append(std::to_string(line)).append(": ");
    if (!path.empty()) what.append("field '").append(path).append("': ");
    what.append(message).append(" (").append(type_).append(", byte ");
    what.append(std::to_string(source_.first_offset + offset)).append(")");
    throw JsonError(std::string(type_), offset, line, std::move(path), what);
  }

 private:
  struct Step {
    const char* field;  // or an index when null
    std::size_t index;
  };

  template <class V>
  [[noreturn]] void fail(V& v, const std::string& message) {
    fail_at(location(v), message);
  }

  template <class V>
  void check(simdjson::error_code error, V& v, const char* expected) {
    if (error == simdjson::SUCCESS) {
      last_ok_ = location(v);
      return;
    }
    od::json_type found;
    if (error == simdjson::INCORRECT_TYPE && v.type().get(found) == simdjson::SUCCESS) {
      fail(v, std::string("expected ") + expected + ", found " + type_text(found));
    }
    if (error == simdjson::NUMBER_OUT_OF_RANGE || error == simdjson::INCORRECT_TYPE) {
      fail(v, std::string("expected ") + expected + ", found " + std::string(raw_token(v)));
    }
    fail(v, std::string("expected ") + expected + ": " + simdjson::error_message(error));
  }

  static const char* type_text(od::json_type t) noexcept {
    switch (t) {
      case od::json_type::array:
        return "an array";
      case od::json_type::object:
        return "an object";
      case od::json_type::number:
        return "a number";
      case od::json_type::string:
        return "a string";
      case od::json_type::boolean:
        return "a boolean";
      case od::json_type::null:
        return "null";
    }
    return "something else";
  }

  template <class V, class E>
  void read_enum(V& v, E& out) {
    if constexpr (boost::describe::has_describe_enumerators<E>::value) {
      od::json_type t;
      if (v.type().get(t) == simdjson::SUCCESS && t == od::json_type::string) {
        std::string_view s;
        check(v.get_string().get(s), v, "a name");
        const std::string name(s);
        if (!boost::describe::enum_from_string(name.c_str(), out)) {
          fail(v, "'" + name + "' is not a " + std::string(type_name<E>()));
        }
        return;
      }
    }
    std::underlying_type_t<E> raw{};
    read(v, raw);
    out = static_cast<E>(raw);
  }

  template <class V, class T>
  void read_struct(V& v, T& out) {
    od::object object;
    check(v.get_object().get(object), v, "an object");
    const std::size_t at = last_ok_;
    using Members = boost::describe::describe_members<T, boost::describe::mod_any_access>;
    constexpr std::size_t kMembers = boost::mp11::mp_size<Members>::value;
    std::array<bool, kMembers> seen{};
    for (auto field : object) {
      std::string_view key;
      if (field.unescaped_key().get(key) != simdjson::SUCCESS) fail_at(at, "malformed object");
      od::value value = field.value();
      bool known = false;
      std::size_t index = 0;
      boost::mp11::mp_for_each<Members>([&](auto member) {
        if (!known && key == member.name) {
          known = true;
          if (seen[index]) fail(value, std::string("field '") + member.name + "' given twice");
          seen[index] = true;
          path_.push_back(Step{member.name, 0});
          read(value, out.*member.pointer);
          path_.pop_back();
        }
        if (!known) ++index;
      });
      if (!known) {
        fail(value,
             "unexpected field '" + std::string(key) + "' in " + std::string(type_name<T>()));
      }
    }
    std::size_t index = 0;
    boost::mp11::mp_for_each<Members>([&](auto member) {
      using M = std::remove_cvref_t<decltype(out.*member.pointer)>;
      if (!seen[index] && !is_optional<M>::value) {
        fail_at(at, std::string("missing field '") + member.name + "' of " +
                        std::string(type_name<T>()));
      }
      if (!seen[index] && is_optional<M>::value) (out.*member.pointer) = M{};
      ++index;
    });
  }

  [[nodiscard]] std::string path_text() const {
    std::string out;
    for (const Step& s : path_) {
      if (s.field != nullptr) {
        if (!out.empty()) out.push_back('.');
        out.append(s.field);
      } else {
        out.append("[").append(std::to_string(s.index)).append("]");
      }
    }
    return out;
  }

  std::string_view type_;
  std::string_view text_;
  JsonSource source_;
  std::vector<Step> path_;
  std::size_t last_ok_ = 0;
};

// This thread's parser and padded copy of the input.
struct ThreadParser {
  od::parser parser;
  std::string padded;
};
ThreadParser& thread_parser();

}  // namespace detail::json

// Reads one JSON document into a T. Throws JsonError (see above).
template <JsonCodable T>
requires std::default_initializable<T>
[[nodiscard]] T from_json(std::string_view text, JsonSource source = {}) {
  namespace od = simdjson::ondemand;
  detail::json::ThreadParser& tp = detail::json::thread_parser();
  tp.padded.assign(text);
  tp.padded.append(simdjson::SIMDJSON_PADDING, '\0');
  const std::string_view input(tp.padded.data(), text.size());
  detail::json::Reader reader(type_name<T>(), input, source);
  od::document doc;
  if (const auto error = tp.parser.iterate(input.data(), input.size(), tp.padded.size()).get(doc);
      error != simdjson::SUCCESS) {
    reader.fail_at(0, simdjson::error_message(error));
  }
  T value{};
  od::value root;
  if (const auto error = doc.get_value().get(root); error == simdjson::SUCCESS) {
    reader.read(root, value);
  } else if (error == simdjson::SCALAR_DOCUMENT_AS_VALUE) {
    reader.read(doc, value);
  } else {
    const char* at = nullptr;
    reader.fail_at(doc.current_location().get(at) == simdjson::SUCCESS
                       ? static_cast<std::size_t>(at - input.data())
                       : 0,
                   simdjson::error_message(error));
  }
  // Anything but whitespace after the value is an error (the on-demand API stops reading
  // when the value is complete).
  const char* after = nullptr;
  if (doc.current_location().get(after) == simdjson::SUCCESS) {
    std::size_t offset = static_cast<std::size_t>(after - input.data());
    while (offset < input.size() && (input[offset] == ' ' || input[offset] == '\n' ||
                                     input[offset] == '\r' || input[offset] == '\t')) {
      ++offset;
    }
    if (offset < input.size()) reader.fail_at(offset, "unexpected content after the value");
  }
  return value;
}

// ---------------------------------------------------------------------------------------
// JSON as the wire format of a described type (the fallback codec).

template <class T>
void json_wire_encode(BinaryWriter& w, const T& value) {
  std::string text;
  append_json(text, value);
  w.write(text);
}
template <class T>
void json_wire_decode(BinaryReader& r, T& value) {
  const std::size_t at = r.offset();
  const std::string text = r.read<std::string>();
  try {
    value = from_json<T>(text);
  } catch (const JsonError& e) {
    r.fail<T>(at, std::string("JSON payload: ") + e.what());
  }
}

}  // namespace sw
