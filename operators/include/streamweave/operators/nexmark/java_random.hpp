// JavaRandom: java.util.Random, bit for bit (the 48-bit linear congruential generator of the
// JDK's documentation), so that the NEXMark generator reproduces Beam's events exactly.
// A value type with no shared state: one per thread, or one per event as Beam does.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace sw::nexmark {

class JavaRandom {
 public:
  // new Random(seed).
  explicit constexpr JavaRandom(std::int64_t seed) noexcept
      : seed_((static_cast<std::uint64_t>(seed) ^ kMultiplier) & kMask) {}

  // nextInt(): a full signed 32-bit value.
  constexpr std::int32_t next_int() noexcept { return next(32); }

  // n calls of nextInt(), f(value) for each in order. Two draws are in flight at a time (each
  // lane steps two seeds at once), so that a draw does not wait for the multiply before it.
  template <class F>
  constexpr void next_ints(std::size_t n, F&& f) {
    std::uint64_t odd = seed_ * kMultiplier + kAddend;     // the 1st, 3rd, ... seed
    std::uint64_t even = seed_ * kMultiplier2 + kAddend2;  // the 2nd, 4th, ...
    std::size_t k = 0;
    for (; k + 2 <= n; k += 2) {
      f(value(odd, 32));
      f(value(even, 32));
      seed_ = even;
      odd = odd * kMultiplier2 + kAddend2;
      even = even * kMultiplier2 + kAddend2;
    }
    if (k < n) {
      f(value(odd, 32));
      seed_ = odd;
    }
  }

  // nextInt(bound), bound > 0: uniform in [0, bound), with Java's rejection loop.
  constexpr std::int32_t next_int(std::int32_t bound) noexcept {
    std::int32_t r = next(31);
    const std::int32_t m = bound - 1;
    if ((bound & m) == 0) {
      return static_cast<std::int32_t>((static_cast<std::int64_t>(bound) * r) >> 31);
    }
    // Java relies on int overflow here: u - r + m < 0 when the draw falls in the last,
    // incomplete interval. Computed in 64 bits and wrapped to 32, as the JVM does.
    for (std::int32_t u = r; wrap32(static_cast<std::int64_t>(u) - (r = u % bound) + m) < 0;
         u = next(31)) {
    }
    return r;
  }

  // nextLong().
  constexpr std::int64_t next_long() noexcept {
    // Java's ((long) next(32) << 32) + next(32), in unsigned arithmetic so that it wraps.
    const auto high = static_cast<std::uint64_t>(static_cast<std::int64_t>(next(32)));
    const auto low = static_cast<std::uint64_t>(static_cast<std::int64_t>(next(32)));
    return static_cast<std::int64_t>((high << 32) + low);
  }

  // nextDouble(): uniform in [0, 1) with 53 random bits.
  constexpr double next_double() noexcept {
    const auto high = static_cast<std::int64_t>(next(26));
    const auto low = static_cast<std::int64_t>(next(27));
    return static_cast<double>((high << 27) + low) * 0x1.0p-53;
  }

  // nextBoolean().
  constexpr bool next_boolean() noexcept { return next(1) != 0; }

 private:
  static constexpr std::uint64_t kMultiplier = 0x5DEECE66DULL;
  static constexpr std::uint64_t kAddend = 0xBULL;
  // Two steps at once: s'' = a (a s + c) + c = a^2 s + (a + 1) c (mod 2^64, so also mod 2^48).
  static constexpr std::uint64_t kMultiplier2 = kMultiplier * kMultiplier;
  static constexpr std::uint64_t kAddend2 = (kMultiplier + 1) * kAddend;
  static constexpr std::uint64_t kMask = (std::uint64_t{1} << 48) - 1;

  static constexpr std::int32_t wrap32(std::int64_t v) noexcept {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(v)));
  }

  // The seed's low 48 bits are Java's seed; the bits above them are left unmasked, since they
  // never reach the low 48 of a product or a sum. Masking the value instead of the seed keeps
  // the mask off the chain from one draw to the next.
  constexpr std::int32_t next(int bits) noexcept {
    seed_ = seed_ * kMultiplier + kAddend;
    return value(seed_, bits);
  }
  // The top `bits` of the 48-bit seed, as Java's (int) (seed >>> (48 - bits)).
  static constexpr std::int32_t value(std::uint64_t seed, int bits) noexcept {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>((seed & kMask) >> (48 - bits)));
  }

  std::uint64_t seed_;
};

// Math.round(double) for finite values: the nearest integer, ties toward positive infinity.
[[nodiscard]] inline std::int64_t java_round(double x) noexcept {
  const double floor = std::floor(x);
  return static_cast<std::int64_t>(x - floor >= 0.5 ? floor + 1 : floor);
}

}  // namespace sw::nexmark
