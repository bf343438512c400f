// Control messages: what ranks tell each other besides frames of items — a producer's
// end-of-stream on an exchange route, credits given back, an abort. Small values in the
// binary codec behind a 6-byte header:
//
//   0 magic "SWC1" u32   4 version u16   6 the message: a variant (index, then its fields)
//
// A new kind of message (a checkpoint barrier) is one more alternative at the end of
// ControlMessage; an older reader refuses it by name instead of misreading it. Pure
// functions over their arguments: any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "streamweave/serde/binary.hpp"
#include "streamweave/serde/bytes.hpp"

namespace sw {

inline constexpr std::uint32_t kControlMagic = 0x31435753;  // "SWC1" as bytes on the wire
inline constexpr std::uint16_t kControlVersion = 1;
inline constexpr std::size_t kControlHeaderBytes = 6;

// Producer instance `source` of an exchange edge sent its last frame on route `route`.
struct EndOfStreamMessage {
  std::uint32_t route = 0;
  std::uint32_t source = 0;
  friend bool operator==(const EndOfStreamMessage&, const EndOfStreamMessage&) = default;
};

// The receiver freed `frames` buffers of route `route`: the sender may send that many more.
struct CreditGrant {
  std::uint32_t route = 0;
  std::uint32_t frames = 0;
  friend bool operator==(const CreditGrant&, const CreditGrant&) = default;
};
struct CreditMessage {
  std::vector<CreditGrant> grants;
  friend bool operator==(const CreditMessage&, const CreditMessage&) = default;
};

// The sender stopped: with `error` empty it was cancelled (a deadline, a cancel token),
// otherwise it failed with that error.
struct AbortMessage {
  std::string error;
  friend bool operator==(const AbortMessage&, const AbortMessage&) = default;
};

using ControlMessage = std::variant<EndOfStreamMessage, CreditMessage, AbortMessage>;

// The message with its header, in a buffer from `pool`.
[[nodiscard]] Bytes encode_control(const ControlMessage& message,
                                   BufferPool& pool = BufferPool::global());
// The message in `bytes`. Throws FrameError (type "control message") naming the field and
// offset when the magic, the version or the message is wrong, or bytes are left over.
[[nodiscard]] ControlMessage parse_control(const Bytes& bytes);

}  // namespace sw
