#include "streamweave/serde/control.hpp"

#include <fmt/format.h>

#include "streamweave/serde/frame.hpp"

namespace sw {

Bytes encode_control(const ControlMessage& message, BufferPool& pool) {
  BytesMut out(pool);
  BinaryWriter writer(out);
  writer.write_fixed(kControlMagic);
  writer.write_fixed(kControlVersion);
  writer.write(message);
  return out.freeze();
}

ControlMessage parse_control(const Bytes& bytes) {
  auto fail = [](std::size_t offset, const std::string& why) -> void {
    throw FrameError("control message", offset, why);
  };
  if (bytes.size() < kControlHeaderBytes) {
    fail(bytes.size(), fmt::format("{} bytes, shorter than the {}-byte header", bytes.size(),
                                   kControlHeaderBytes));
  }
  BinaryReader reader(bytes);
  const auto magic = reader.read_fixed<std::uint32_t>();
  if (magic != kControlMagic) {
    fail(0, fmt::format("bad magic {:#010x} (expected {:#010x}): not a StreamWeave control "
                        "message",
                        magic, kControlMagic));
  }
  const auto version = reader.read_fixed<std::uint16_t>();
  if (version != kControlVersion) {
    fail(4, fmt::format("version {} (this build reads version {})", version, kControlVersion));
  }
  ControlMessage message;
  try {
    const std::size_t kind_at = reader.offset();
    const std::uint64_t kind = reader.read_varint<ControlMessage>();
    if (kind >= std::variant_size_v<ControlMessage>) {
      fail(kind_at, fmt::format("unknown kind {} (this build knows 0 to {}): sent by a newer "
                                "StreamWeave?",
                                kind, std::variant_size_v<ControlMessage> - 1));
    }
    detail::read_alternative(reader, message, static_cast<std::size_t>(kind));
  } catch (const FrameError&) {
    throw;
  } catch (const DecodeError& e) {
    // The body's codec names the field's type; the caller catches frame errors.
    throw FrameError(DecodeError::Verbatim{}, "control message", e.offset(),
                     std::string("control message: ") + e.what());
  }
  if (reader.remaining() != 0) {
    fail(reader.offset(), fmt::format("{} bytes left over after the message", reader.remaining()));
  }
  return message;
}

}  // namespace sw
