// The NEXMark generator: Apache Beam's NexmarkGenerator (sdks/java/testing/nexmark,
// sources/generator) ported event for event, bit for bit. Event k depends only on k (Beam
// seeds a fresh java.util.Random with each event id), so any range or stride of events can
// be made independently: a generator started at event K makes exactly events K, K+1, ... of
// one started at 0, and parallel instances together make exactly the single generator's
// events (see nexmark::source).
//
// One event rate only (Beam's case when firstEventRate == nextEventRate, its default):
// Beam's SQUARE and SINE rate shapes with two rates are not ported.
#pragma once

#include <cstdint>
#include <string>

#include "streamweave/operators/nexmark/model.hpp"
#include "streamweave/serde/str_arena.hpp"

namespace sw::nexmark {

// The most events per second of event time the generator takes (its inter-event delay is in
// whole microseconds).
inline constexpr std::int64_t kMaxEventRate = 1'000'000;

// Beam's NexmarkConfiguration.DEFAULT as NexmarkUtils.standardGeneratorConfig uses it.
struct GeneratorConfig {
  std::uint64_t events = 100'000;              // numEvents: how many the generator makes
  std::int64_t base_time = 1'436'918'400'000;  // 2015-07-15T00:00:00Z, epoch ms
  std::int64_t first_event_id = 0;
  std::uint64_t first_event_number = 0;
  std::int64_t event_rate = 10'000;         // events per second of event time ...
  std::int64_t num_event_generators = 100;  // ... shared by this many generators
  std::int32_t avg_person_bytes = 200;
  std::int32_t avg_auction_bytes = 500;
  std::int32_t avg_bid_bytes = 100;
  std::int32_t hot_auction_ratio = 2;
  std::int32_t hot_sellers_ratio = 4;
  std::int32_t hot_bidders_ratio = 4;
  std::int32_t num_in_flight_auctions = 100;
  std::int32_t num_active_people = 1000;
  std::int64_t out_of_order_group_size = 1;

  // Microseconds of event time between two events of one generator (Beam's
  // interEventDelayUs: the rate's period times num_event_generators; 10 000 by default).
  [[nodiscard]] double inter_event_delay_us() const noexcept;
  // The event number after out-of-order grouping for the generator's k-th event.
  [[nodiscard]] std::uint64_t adjusted_event_number(std::uint64_t k) const noexcept;
  // Epoch ms of the event with (adjusted) event number `n`.
  [[nodiscard]] std::int64_t timestamp(std::uint64_t n) const noexcept;
  // Throws std::invalid_argument naming the first field that is out of range.
  void validate() const;
};

// The fixed facts of Beam's GeneratorConfig.
inline constexpr std::int64_t kFirstPersonId = 1000;
inline constexpr std::int64_t kFirstAuctionId = 1000;
inline constexpr std::int64_t kFirstCategoryId = 10;
inline constexpr std::int64_t kProportionDenominator = 50;  // person 1, auction 3, bid 46

// Makes events. Const and stateless: one Generator may serve many threads, each with its
// own StrArena.
class Generator {
 public:
  // Throws std::invalid_argument on a bad configuration.
  explicit Generator(GeneratorConfig config);

  // The generator's k-th event (k < config().events); its strings go into `arena`.
  [[nodiscard]] Event event(std::uint64_t k, StrArena& arena) const;
  // The id of the k-th event (its kind is id % 50: 0 person, 1-3 auction, else bid).
  [[nodiscard]] std::int64_t event_id(std::uint64_t k) const noexcept;
  [[nodiscard]] const GeneratorConfig& config() const noexcept { return config_; }

 private:
  GeneratorConfig config_;
  // config_.inter_event_delay_us(), computed once: it divides by the rate.
  double inter_event_delay_us_ = 0;
};

}  // namespace sw::nexmark
