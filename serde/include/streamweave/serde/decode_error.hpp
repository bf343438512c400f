// The error every decoder throws on truncated, corrupt or unexpected input.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace sw {

class DecodeError : public std::runtime_error {
 public:
  // `what` reads "decoding <type> at byte <offset>: <message>".
  DecodeError(std::string type, std::size_t offset, const std::string& message)
      : std::runtime_error("decoding " + type + " at byte " + std::to_string(offset) + ": " +
                           message),
        type_(std::move(type)),
        offset_(offset),
        reason_(message) {}

  struct Verbatim {};
  // `what` as given, for codecs that say where differently (JSON: file and line).
  DecodeError(Verbatim, std::string type, std::size_t offset, const std::string& what)
      : std::runtime_error(what), type_(std::move(type)), offset_(offset), reason_(what) {}

  // The type being decoded when the input ran out or was found wrong.
  [[nodiscard]] const std::string& type() const noexcept { return type_; }
  // Where, from the start of the input.
  [[nodiscard]] std::size_t offset() const noexcept { return offset_; }
  // What is wrong there, without the type and offset (what() as given, for Verbatim).
  [[nodiscard]] const std::string& reason() const noexcept { return reason_; }

 private:
  std::string type_;
  std::size_t offset_;
  std::string reason_;
};

}  // namespace sw
