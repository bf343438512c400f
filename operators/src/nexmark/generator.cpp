#include "streamweave/operators/nexmark/generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string_view>

#include "streamweave/operators/nexmark/java_random.hpp"

namespace sw::nexmark {
namespace {

constexpr std::int64_t kPersonProportion = 1;
constexpr std::int64_t kAuctionProportion = 3;
constexpr std::int64_t kPersonIdLead = 10;
constexpr std::int64_t kAuctionIdLead = 10;
constexpr std::int64_t kHotSellerRatio = 100;
constexpr std::int64_t kHotAuctionRatio = 100;
constexpr std::int64_t kHotBidderRatio = 100;
constexpr std::int32_t kNumCategories = 5;
constexpr std::int32_t kMinStringLength = 3;

constexpr std::array<std::string_view, 6> kUsStates = {"AZ", "CA", "ID", "OR", "WA", "WY"};
constexpr std::array<std::string_view, 10> kUsCities = {
    "Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland",
    "Bend",    "Redmond",     "Seattle",       "Kent",  "Cheyenne"};
constexpr std::array<std::string_view, 11> kFirstNames = {
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"};
constexpr std::array<std::string_view, 9> kLastNames = {
    "Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"};

// The fixed lists interned once: picking one is then a table lookup.
struct Interned {
  std::array<Symbol, kUsStates.size()> states;
  std::array<Symbol, kUsCities.size()> cities;
  std::array<Symbol, kFirstNames.size() * kLastNames.size()> names;

  Interned() {
    for (std::size_t i = 0; i < states.size(); ++i) states[i] = Symbol(kUsStates[i]);
    for (std::size_t i = 0; i < cities.size(); ++i) cities[i] = Symbol(kUsCities[i]);
    for (std::size_t f = 0; f < kFirstNames.size(); ++f) {
      for (std::size_t l = 0; l < kLastNames.size(); ++l) {
        names[f * kLastNames.size() + l] =
            Symbol(fmt::format("{} {}", kFirstNames[f], kLastNames[l]));
      }
    }
  }
};

const Interned& interned() {
  static const Interned table;
  return table;
}

// LongGenerator.nextLong.
std::int64_t next_long(JavaRandom& random, std::int64_t n) noexcept {
  if (n < std::numeric_limits<std::int32_t>::max()) {
    return random.next_int(static_cast<std::int32_t>(n));
  }
  const std::int64_t r = random.next_long() % n;  // Java's % truncates, as C++'s does
  return r < 0 ? -r : r;
}

// PriceGenerator.nextPrice.
std::int64_t next_price(JavaRandom& random) noexcept {
  return java_round(std::pow(10.0, random.next_double() * 6.0) * 100.0);
}

// StringsGenerator.nextString(random, maxLength): letters and spaces, trimmed. Writes at
// most max_length - 1 characters at `out`; returns how many.
std::size_t fill_string(JavaRandom& random_in, std::int32_t max_length, char* out) noexcept {
  // A local copy: `out` may alias anything, so through the reference every character's store
  // would send the seed through memory before the next draw.
  JavaRandom random = random_in;
  std::int32_t length = kMinStringLength + random.next_int(max_length - kMinStringLength);
  for (std::int32_t i = 0; i < length; ++i) {
    out[i] = random.next_int(13) == 0 ? ' ' : static_cast<char>('a' + random.next_int(26));
  }
  random_in = random;
  std::int32_t begin = 0;
  while (begin < length && out[begin] == ' ') ++begin;
  while (length > begin && out[length - 1] == ' ') --length;
  if (begin > 0) std::memmove(out, out + begin, static_cast<std::size_t>(length - begin));
  return static_cast<std::size_t>(length - begin);
}

Str next_string(JavaRandom& random, std::int32_t max_length, StrArena& arena) {
  char* out = arena.reserve(static_cast<std::size_t>(max_length));
  return arena.commit(fill_string(random, max_length, out));
}

// Two characters of nextExactString for each value 0 <= v < 26 * 26, for a draw r >= 0
// ('a' + v % 26, 'a' + v / 26) and then for r < 0 ('a' - v % 26, 'a' - v / 26).
struct DigitPairs {
  static constexpr std::uint32_t kPairs = 26 * 26;
  char pair[2 * kPairs][2];
  constexpr DigitPairs() : pair{} {
    for (std::uint32_t v = 0; v < kPairs; ++v) {
      pair[v][0] = static_cast<char>('a' + v % 26);
      pair[v][1] = static_cast<char>('a' + v / 26);
      pair[kPairs + v][0] = static_cast<char>('a' - static_cast<int>(v % 26));
      pair[kPairs + v][1] = static_cast<char>('a' - static_cast<int>(v / 26));
    }
  }
};
constexpr DigitPairs kDigitPairs;

// The six characters nextExactString makes of one draw r: (char)('a' + r % 26), r /= 26, six
// times, with Java's truncating % and /. That is 'a' plus or minus the base-26 digits of |r|
// (minus for r < 0), so three table lookups of two digits each. Branch-free: the sign is a coin
// toss, and a branch on it missed every other draw (2.5 x slower, as did the divisions one
// after another).
void six_characters(std::int32_t r, char* out) noexcept {
  const auto sign = static_cast<std::uint32_t>(r >> 31);  // all ones for r < 0
  const std::uint32_t magnitude = (static_cast<std::uint32_t>(r) ^ sign) - sign;
  const char(*pairs)[2] = kDigitPairs.pair + (sign & DigitPairs::kPairs);
  constexpr std::uint32_t kPair = DigitPairs::kPairs;
  std::memcpy(out, pairs[magnitude % kPair], 2);
  std::memcpy(out + 2, pairs[magnitude / kPair % kPair], 2);
  std::memcpy(out + 4, pairs[magnitude / (kPair * kPair) % kPair], 2);
}

// StringsGenerator.nextExactString: six characters per nextInt(), Java's signed % and /.
Str next_exact_string(JavaRandom& random_in, std::int32_t length, StrArena& arena) {
  const auto draws = static_cast<std::size_t>(length + 5) / 6;
  // Room for all six characters of the last draw: the string is its first `length`.
  char* out = arena.reserve(draws * 6);
  JavaRandom random = random_in;  // not through the reference: `out` may alias it
  random.next_ints(draws, [at = out](std::int32_t r) mutable {
    six_characters(r, at);
    at += 6;
  });
  random_in = random;
  return arena.commit(static_cast<std::size_t>(length));
}

// StringsGenerator.nextExtra.
Str next_extra(JavaRandom& random, std::int32_t current_size, std::int32_t desired_average,
               StrArena& arena) {
  if (current_size > desired_average) return Str{};
  desired_average -= current_size;
  const auto delta = static_cast<std::int32_t>(java_round(desired_average * 0.2));
  const std::int32_t min_size = desired_average - delta;
  const std::int32_t size = min_size + (delta == 0 ? 0 : random.next_int(2 * delta));
  return next_exact_string(random, size, arena);
}

std::int64_t last_base0_person_id(std::int64_t event_id) noexcept {
  const std::int64_t epoch = event_id / kProportionDenominator;
  std::int64_t offset = event_id % kProportionDenominator;
  if (offset >= kPersonProportion) offset = kPersonProportion - 1;
  return epoch * kPersonProportion + offset;
}

std::int64_t last_base0_auction_id(std::int64_t event_id) noexcept {
  std::int64_t epoch = event_id / kProportionDenominator;
  std::int64_t offset = event_id % kProportionDenominator;
  if (offset < kPersonProportion) {
    --epoch;
    offset = kAuctionProportion - 1;
  } else if (offset >= kPersonProportion + kAuctionProportion) {
    offset = kAuctionProportion - 1;
  } else {
    offset -= kPersonProportion;
  }
  return epoch * kAuctionProportion + offset;
}

std::int64_t next_base0_person_id(std::int64_t event_id, JavaRandom& random,
                                  const GeneratorConfig& config) noexcept {
  const std::int64_t people = last_base0_person_id(event_id) + 1;
  const std::int64_t active = std::min<std::int64_t>(people, config.num_active_people);
  const std::int64_t n = next_long(random, active + kPersonIdLead);
  return people - active + n;
}

std::int64_t next_base0_auction_id(std::int64_t event_id, JavaRandom& random,
                                   const GeneratorConfig& config) noexcept {
  const std::int64_t max_auction = last_base0_auction_id(event_id);
  const std::int64_t min_auction =
      std::max<std::int64_t>(max_auction - config.num_in_flight_auctions, 0);
  return min_auction + next_long(random, max_auction - min_auction + 1 + kAuctionIdLead);
}

Person next_person(std::int64_t event_id, JavaRandom& random, std::int64_t timestamp,
                   const GeneratorConfig& config, StrArena& arena) {
  Person p;
  p.id = last_base0_person_id(event_id) + kFirstPersonId;
  const std::int32_t first = random.next_int(static_cast<std::int32_t>(kFirstNames.size()));
  const std::int32_t last = random.next_int(static_cast<std::int32_t>(kLastNames.size()));
  p.name = interned().names[static_cast<std::size_t>(first) * kLastNames.size() +
                            static_cast<std::size_t>(last)];
  // email: nextString(7) + "@" + nextString(5) + ".com", written once into the arena.
  {
    constexpr std::string_view kDotCom = ".com";
    char* out = arena.reserve(7 + 1 + 5 + kDotCom.size());
    std::size_t n = fill_string(random, 7, out);
    out[n++] = '@';
    n += fill_string(random, 5, out + n);
    std::memcpy(out + n, kDotCom.data(), kDotCom.size());
    p.email_address = arena.commit(n + kDotCom.size());
  }
  char card[4 * 5];
  for (int i = 0; i < 4; ++i) {
    const std::int32_t group = random.next_int(10000);
    fmt::format_to(card + 5 * i, "{:04d}", group);
    card[5 * i + 4] = ' ';
  }
  p.credit_card = arena.copy(std::string_view(card, 19));
  p.city = interned().cities[static_cast<std::size_t>(
      random.next_int(static_cast<std::int32_t>(kUsCities.size())))];
  p.state = interned().states[static_cast<std::size_t>(
      random.next_int(static_cast<std::int32_t>(kUsStates.size())))];
  p.date_time = timestamp;
  const auto size =
      static_cast<std::int32_t>(8 + p.name.size() + p.email_address.size() + p.credit_card.size() +
                                p.city.size() + p.state.size());
  p.extra = next_extra(random, size, config.avg_person_bytes, arena);
  return p;
}

Auction next_auction(std::uint64_t k, std::int64_t event_id, JavaRandom& random,
                     std::int64_t timestamp, const GeneratorConfig& config, StrArena& arena) {
  Auction a;
  a.id = last_base0_auction_id(event_id) + kFirstAuctionId;
  if (random.next_int(config.hot_sellers_ratio) > 0) {
    // The first person of the batch of the last kHotSellerRatio people.
    a.seller = (last_base0_person_id(event_id) / kHotSellerRatio) * kHotSellerRatio;
  } else {
    a.seller = next_base0_person_id(event_id, random, config);
  }
  a.seller += kFirstPersonId;
  a.category = kFirstCategoryId + random.next_int(kNumCategories);
  a.initial_bid = next_price(random);
  // nextAuctionLengthMs: on average the time until num_in_flight_auctions more auctions.
  const std::uint64_t current = config.adjusted_event_number(k);
  const auto events_for_auctions = static_cast<std::uint64_t>(
      (static_cast<std::int64_t>(config.num_in_flight_auctions) * kProportionDenominator) /
      kAuctionProportion);
  const std::int64_t horizon_ms = config.timestamp(current + events_for_auctions) - timestamp;
  a.expires = timestamp + 1 + next_long(random, std::max<std::int64_t>(horizon_ms * 2, 1));
  a.item_name = next_string(random, 20, arena);
  a.description = next_string(random, 100, arena);
  a.reserve = a.initial_bid + next_price(random);
  a.date_time = timestamp;
  const auto size =
      static_cast<std::int32_t>(8 + a.item_name.size() + a.description.size() + 8 + 8 + 8 + 8 + 8);
  a.extra = next_extra(random, size, config.avg_auction_bytes, arena);
  return a;
}

Bid next_bid(std::int64_t event_id, JavaRandom& random, std::int64_t timestamp,
             const GeneratorConfig& config, StrArena& arena) {
  Bid b;
  if (random.next_int(config.hot_auction_ratio) > 0) {
    // The first auction of the batch of the last kHotAuctionRatio auctions.
    b.auction = (last_base0_auction_id(event_id) / kHotAuctionRatio) * kHotAuctionRatio;
  } else {
    b.auction = next_base0_auction_id(event_id, random, config);
  }
  b.auction += kFirstAuctionId;
  if (random.next_int(config.hot_bidders_ratio) > 0) {
    // The second person of the batch (hot bidders and hot sellers do not collide).
    b.bidder = (last_base0_person_id(event_id) / kHotBidderRatio) * kHotBidderRatio + 1;
  } else {
    b.bidder = next_base0_person_id(event_id, random, config);
  }
  b.bidder += kFirstPersonId;
  b.price = next_price(random);
  b.date_time = timestamp;
  b.extra = next_extra(random, 8 + 8 + 8 + 8, config.avg_bid_bytes, arena);
  return b;
}

}  // namespace

double GeneratorConfig::inter_event_delay_us() const noexcept {
  // RateUnit.PER_SECOND.rateToPeriodUs: (1 000 000 + rate / 2) / rate, in integers.
  constexpr std::int64_t kMicrosPerSecond = 1'000'000;
  const std::int64_t period = (kMicrosPerSecond + event_rate / 2) / event_rate;
  return static_cast<double>(period * num_event_generators);
}

std::uint64_t GeneratorConfig::adjusted_event_number(std::uint64_t k) const noexcept {
  const std::uint64_t n = static_cast<std::uint64_t>(out_of_order_group_size);
  const std::uint64_t number = first_event_number + k;
  if (n == 1) return number;  // the default: no grouping, and no two divisions per event
  return (number / n) * n + (number * 953) % n;
}

namespace {
// Beam: baseTime + (long) (eventNumber * interEventDelayUs) / 1000L.
std::int64_t timestamp_at(std::int64_t base_time, std::uint64_t n, double delay_us) noexcept {
  return base_time + static_cast<std::int64_t>(static_cast<double>(n) * delay_us) / 1000;
}
}  // namespace

std::int64_t GeneratorConfig::timestamp(std::uint64_t n) const noexcept {
  return timestamp_at(base_time, n, inter_event_delay_us());
}

void GeneratorConfig::validate() const {
  const auto positive = [](std::int64_t value, const char* field) {
    if (value <= 0) {
      throw std::invalid_argument(
          fmt::format("nexmark generator: {} must be positive (it is {})", field, value));
    }
  };
  positive(event_rate, "event_rate");
  positive(num_event_generators, "num_event_generators");
  positive(avg_person_bytes, "avg_person_bytes");
  positive(avg_auction_bytes, "avg_auction_bytes");
  positive(avg_bid_bytes, "avg_bid_bytes");
  positive(hot_auction_ratio, "hot_auction_ratio");
  positive(hot_sellers_ratio, "hot_sellers_ratio");
  positive(hot_bidders_ratio, "hot_bidders_ratio");
  positive(num_in_flight_auctions, "num_in_flight_auctions");
  positive(num_active_people, "num_active_people");
  positive(out_of_order_group_size, "out_of_order_group_size");
  if (event_rate > kMaxEventRate) {
    throw std::invalid_argument(
        fmt::format("nexmark generator: event_rate must be at most {} per second (it is {})",
                    kMaxEventRate, event_rate));
  }
  if (first_event_id < 0) {
    throw std::invalid_argument(fmt::format(
        "nexmark generator: first_event_id must not be negative (it is {})", first_event_id));
  }
}

Generator::Generator(GeneratorConfig config) : config_(config) {
  config_.validate();
  inter_event_delay_us_ = config_.inter_event_delay_us();
  (void)interned();  // intern the fixed lists now, not inside the first event
}

std::int64_t Generator::event_id(std::uint64_t k) const noexcept {
  return config_.first_event_id + static_cast<std::int64_t>(config_.adjusted_event_number(k));
}

Event Generator::event(std::uint64_t k, StrArena& arena) const {
  const std::uint64_t number = config_.adjusted_event_number(k);
  const std::int64_t id = config_.first_event_id + static_cast<std::int64_t>(number);
  const std::int64_t timestamp = timestamp_at(config_.base_time, number, inter_event_delay_us_);
  JavaRandom random(id);
  const std::int64_t slot = id % kProportionDenominator;
  if (slot < kPersonProportion) return Event{next_person(id, random, timestamp, config_, arena)};
  if (slot < kPersonProportion + kAuctionProportion) {
    return Event{next_auction(k, id, random, timestamp, config_, arena)};
  }
  return Event{next_bid(id, random, timestamp, config_, arena)};
}

}  // namespace sw::nexmark
