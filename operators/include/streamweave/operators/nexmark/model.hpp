// The NEXMark events (Apache Beam's sdks/java/testing/nexmark model): Person, Auction and
// Bid with Beam's fields in Beam's order, and Event, one of the three. Times are epoch
// milliseconds (UTC), prices cents. Text made per event is Str (a slice of the generator's
// chunk: no allocation per string); text from a fixed list (names, cities, states) is an
// interned Symbol. Binary codec by field order (Boost.PFR), JSON by field name (described);
// the JSON names are the C++ ones (snake_case), e.g. "email_address" for Beam's emailAddress.
#pragma once

#include <boost/describe.hpp>
#include <cstdint>
#include <variant>

#include "streamweave/serde/str.hpp"
#include "streamweave/serde/symbol.hpp"

namespace sw::nexmark {

struct Person {
  std::int64_t id = 0;
  Symbol name;  // "first last", from Beam's fixed lists
  Str email_address;
  Str credit_card;
  Symbol city;
  Symbol state;
  std::int64_t date_time = 0;
  Str extra;
  friend bool operator==(const Person&, const Person&) = default;
};
BOOST_DESCRIBE_STRUCT(Person, (),
                      (id, name, email_address, credit_card, city, state, date_time, extra))

struct Auction {
  std::int64_t id = 0;
  Str item_name;
  Str description;
  std::int64_t initial_bid = 0;
  std::int64_t reserve = 0;
  std::int64_t date_time = 0;
  std::int64_t expires = 0;
  std::int64_t seller = 0;
  std::int64_t category = 0;
  Str extra;
  friend bool operator==(const Auction&, const Auction&) = default;
};
BOOST_DESCRIBE_STRUCT(Auction, (),
                      (id, item_name, description, initial_bid, reserve, date_time, expires, seller,
                       category, extra))

struct Bid {
  std::int64_t auction = 0;
  std::int64_t bidder = 0;
  std::int64_t price = 0;
  std::int64_t date_time = 0;
  Str extra;
  friend bool operator==(const Bid&, const Bid&) = default;
};
BOOST_DESCRIBE_STRUCT(Bid, (), (auction, bidder, price, date_time, extra))

// One generated event. Beam's Event holds three nullable fields of which one is set; here
// the variant says which.
struct Event {
  std::variant<Person, Auction, Bid> value;

  [[nodiscard]] const Person* person() const noexcept { return std::get_if<Person>(&value); }
  [[nodiscard]] const Auction* auction() const noexcept { return std::get_if<Auction>(&value); }
  [[nodiscard]] const Bid* bid() const noexcept { return std::get_if<Bid>(&value); }
  // The event's time: its dateTime. Bids are tried first (46 of every 50 events), with
  // branches rather than std::visit, which g++ leaves out of line in longer chains.
  [[nodiscard]] std::int64_t date_time() const noexcept {
    if (const Bid* b = bid()) return b->date_time;
    if (const Auction* a = auction()) return a->date_time;
    return std::get<Person>(value).date_time;
  }
  friend bool operator==(const Event&, const Event&) = default;
};

}  // namespace sw::nexmark
