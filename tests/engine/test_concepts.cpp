// The concepts at the API boundary accept the right callables and refuse wrong ones, so a
// mistake is a short compile error naming the concept (see also tests/compile_fail).
#include <catch2/catch.hpp>
#include <optional>
#include <streamweave/streamweave.hpp>
#include <string>
#include <vector>

namespace {

struct Bid {
  std::uint64_t auction = 0;
  std::int64_t price = 0;
};

struct Splitter {
  using output_type = std::string;
  void process(const std::string& line, sw::Emitter<std::string>& out) { out(line); }
};

struct Counter {
  int n = 0;
  std::optional<int> next() { return n < 3 ? std::optional<int>(n++) : std::nullopt; }
};

struct SplitCounter : Counter {
  SplitCounter split(unsigned, unsigned) const { return *this; }
};

struct Printer {
  void consume(const int&) {}
};

struct NoHash {
  int v;
  friend bool operator==(const NoHash&, const NoHash&) = default;
};

}  // namespace

TEST_CASE("map, filter, flat_map and inspect concepts") {
  STATIC_REQUIRE(sw::MapFunction<decltype([](Bid b) { return b; }), Bid>);
  STATIC_REQUIRE(sw::MapFunction<decltype([](const Bid& b) { return b.price; }), Bid>);
  STATIC_REQUIRE_FALSE(sw::MapFunction<decltype([](const std::string& s) { return s; }), Bid>);
  STATIC_REQUIRE_FALSE(sw::MapFunction<decltype([](Bid) {}), Bid>);  // returns nothing

  STATIC_REQUIRE(sw::FilterPredicate<decltype([](const Bid& b) { return b.price > 0; }), Bid>);
  STATIC_REQUIRE_FALSE(sw::FilterPredicate<decltype([](const Bid&) {}), Bid>);
  STATIC_REQUIRE_FALSE(sw::FilterPredicate<decltype([](Bid& b) { return b.price > 0; }), Bid>);

  STATIC_REQUIRE(sw::FlatMapFunction<decltype([](int v) { return std::vector<int>(v); }), int>);
  STATIC_REQUIRE_FALSE(sw::FlatMapFunction<decltype([](int v) { return v; }), int>);
  STATIC_REQUIRE(sw::FlatMapFunction<decltype([](int v) { return std::optional<long>(v); }), int>);
  STATIC_REQUIRE(std::same_as<sw::flat_map_output_t<std::optional<long>>, long>);
  STATIC_REQUIRE(sw::FlatMapEmitter<decltype([](const int& v, sw::Emitter<long>& out) { out(v); }),
                                    int, long>);

  STATIC_REQUIRE(sw::InspectFunction<decltype([](const Bid&) {}), Bid>);
  STATIC_REQUIRE_FALSE(sw::InspectFunction<decltype([](Bid&) {}), Bid>);
}

TEST_CASE("key, reduce and aggregate concepts") {
  STATIC_REQUIRE(sw::KeyFunction<decltype([](const Bid& b) { return b.auction; }), Bid>);
  STATIC_REQUIRE(sw::KeyFunction<decltype([](const Bid&) { return std::string("k"); }), Bid>);
  STATIC_REQUIRE_FALSE(
      sw::KeyFunction<decltype([](const Bid& b) { return NoHash{int(b.price)}; }), Bid>);

  using Sum = decltype([](std::int64_t acc, const Bid& b) { return acc + b.price; });
  STATIC_REQUIRE(sw::ReduceFunction<Sum, Bid>);
  STATIC_REQUIRE(std::same_as<sw::accumulator_t<Sum>, std::int64_t>);
  STATIC_REQUIRE_FALSE(sw::ReduceFunction<decltype([](auto acc, const Bid&) { return acc; }),
                                          Bid>);  // generic: no Acc
  STATIC_REQUIRE_FALSE(
      sw::ReduceFunction<decltype([](std::string, const Bid&) { return 1; }), Bid>);

  STATIC_REQUIRE(
      sw::AggregateFunction<decltype([](long& acc, const Bid& b) { acc += b.price; }), long, Bid>);
  STATIC_REQUIRE(
      sw::AggregateFunction<decltype([](long acc, const Bid& b) { return acc + b.price; }), long,
                            Bid>);
  STATIC_REQUIRE_FALSE(
      sw::AggregateFunction<decltype([](long, const Bid&) { return "x"; }), long, Bid>);
}

TEST_CASE("class-based producers, transformers and consumers") {
  STATIC_REQUIRE(sw::Producer<Counter>);
  STATIC_REQUIRE_FALSE(sw::SplittableProducer<Counter>);
  STATIC_REQUIRE(sw::SplittableProducer<SplitCounter>);
  STATIC_REQUIRE_FALSE(sw::Producer<Printer>);

  STATIC_REQUIRE(sw::Transformer<Splitter, std::string>);
  STATIC_REQUIRE_FALSE(sw::Transformer<Splitter, int>);

  STATIC_REQUIRE(sw::Consumer<Printer, int>);
  STATIC_REQUIRE_FALSE(sw::Consumer<Printer, std::string>);
}

// Requires-expressions only turn a wrong call into `false` inside a template, hence these.
template <class S, class F>
concept CanMap = requires(S s, F f) {
  s.map("m", f);
};
template <class S, class F>
concept CanFilter = requires(S s, F f) {
  s.filter("f", f);
};
template <class S, class F>
concept CanKeyBy = requires(S s, F f) {
  s.key_by(f);
};
template <class S, class Spec>
concept CanSink = requires(S s, Spec spec) {
  s.sink("o", spec);
};
template <class S, class P>
concept CanTransform = requires(S s, P p) {
  s.transform("t", p);
};
template <class F>
concept CanGenerateInts = requires(F f) {
  sw::generate<int>(3, f);
};

TEST_CASE("wrong callables are refused by the fluent API itself") {
  using S = sw::Stream<int>;
  STATIC_REQUIRE(CanMap<S, decltype([](int v) { return v * 2; })>);
  STATIC_REQUIRE_FALSE(CanMap<S, decltype([](const std::string& v) { return v; })>);
  STATIC_REQUIRE(CanFilter<S, decltype([](int v) { return v > 0; })>);
  STATIC_REQUIRE_FALSE(CanFilter<S, decltype([](int) { return std::string(); })>);
  STATIC_REQUIRE(CanKeyBy<S, decltype([](int v) { return v; })>);
  STATIC_REQUIRE_FALSE(CanKeyBy<S, decltype([](int v) { return NoHash{v}; })>);
  STATIC_REQUIRE(CanSink<S, sw::CollectSpec<int>>);
  STATIC_REQUIRE_FALSE(CanSink<S, sw::CollectSpec<std::string>>);
  STATIC_REQUIRE(CanSink<S, sw::ConsumerSpec<Printer>>);
  STATIC_REQUIRE_FALSE(CanSink<sw::Stream<std::string>, sw::ConsumerSpec<Printer>>);
  STATIC_REQUIRE(CanTransform<sw::Stream<std::string>, Splitter>);
  STATIC_REQUIRE_FALSE(CanTransform<S, Splitter>);
  STATIC_REQUIRE(CanGenerateInts<decltype([](std::uint64_t i) { return static_cast<int>(i); })>);
  STATIC_REQUIRE_FALSE(CanGenerateInts<decltype([](const std::string&) { return 1; })>);
}
