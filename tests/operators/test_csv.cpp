#include <catch2/catch.hpp>
#include <optional>
#include <random>
#include <streamweave/streamweave.hpp>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/temp_dir.hpp"

namespace {

enum class Kind { car, bike, walk };
BOOST_DESCRIBE_ENUM(Kind, car, bike, walk)

struct Trip {
  std::int64_t id = 0;
  sw::Str city;
  double km = 0;
  Kind kind = Kind::car;
  std::optional<std::int32_t> stops;
  std::string note;
  friend bool operator==(const Trip&, const Trip&) = default;
  friend bool operator<(const Trip& a, const Trip& b) { return a.id < b.id; }
};
BOOST_DESCRIBE_STRUCT(Trip, (), (id, city, km, kind, stops, note))

std::vector<Trip> read_trips(const std::string& path, unsigned parallelism, sw::CsvOptions csv = {},
                             std::size_t batch = 1024) {
  sw::Graph g{"csv"};
  std::vector<Trip> got;
  sw::read_csv<Trip>(g, "trips", path, csv, {.parallelism = parallelism, .batch_size = batch})
      .sink("out", sw::collect(got), {.parallelism = 1});
  sw::run(g, {.threads = 2});
  return sw::test::sorted(got);
}

}  // namespace

TEST_CASE("read_csv: columns by header name in any order, RFC 4180 quoting, empty optional") {
  sw::test::TempDir dir;
  const std::string path = dir.write("trips.csv",
                                     "note,km,city,id,kind,stops\r\n"
                                     "plain,1.5,Oslo,1,car,3\r\n"
                                     "\"a, b\",2,\"New\nYork\",2,bike,\r\n"
                                     "\"say \"\"hi\"\"\",0.25,\"\",3,walk,0\n");
  const auto trips = read_trips(path, 1);
  REQUIRE(trips.size() == 3);
  CHECK(trips[0] == Trip{1, sw::Str("Oslo"), 1.5, Kind::car, 3, "plain"});
  CHECK(trips[1] == Trip{2, sw::Str("New\nYork"), 2, Kind::bike, std::nullopt, "a, b"});
  CHECK(trips[2] == Trip{3, sw::Str(""), 0.25, Kind::walk, 0, "say \"hi\""});
  CHECK(sw::file_position(trips[0].city.bytes()));  // unquoted: a slice of the file
}

TEST_CASE("write_csv then read_csv: equal, with any parallelism and batch size") {
  sw::test::TempDir dir;
  std::mt19937 random(7);
  std::vector<Trip> trips;
  const std::vector<std::string> texts{
      "", "plain", "with,comma", "with \"quotes\"", "multi\nline", "crlf\r\nline", " spaces "};
  for (int i = 0; i < 4000; ++i) {
    trips.push_back(Trip{i, sw::Str(texts[random() % texts.size()]), (i % 100) * 0.125,
                         static_cast<Kind>(i % 3),
                         i % 4 == 0 ? std::nullopt : std::optional<std::int32_t>(i % 9),
                         texts[random() % texts.size()]});
  }
  {
    sw::Graph g{"write"};
    g.source("trips", sw::from(trips), {.parallelism = 2})
        .sink("out", sw::write_csv(dir.file("t.csv")));
    sw::run(g, {.threads = 2});
  }
  for (int round = 0; round < 6; ++round) {
    const unsigned parallelism = 1 + static_cast<unsigned>(random() % 5);
    const std::size_t batch = 1 + random() % 500;
    INFO("parallelism " << parallelism << ", batch " << batch);
    CHECK(read_trips(dir.file("t.csv"), parallelism, {}, batch) == trips);
  }
  // Without a header: members by position.
  {
    sw::Graph g{"write"};
    g.source("trips", sw::from(trips), {.parallelism = 1})
        .sink("out", sw::write_csv(dir.file("h.csv"), {.delimiter = ';', .header = false}));
    sw::run(g, {.threads = 2});
  }
  CHECK(read_trips(dir.file("h.csv"), 3, {.delimiter = ';', .header = false}) == trips);
}

TEST_CASE("read_csv: a bad record names the file, the line, the field and the column") {
  sw::test::TempDir dir;
  const std::string path = dir.write("bad.csv",
                                     "id,city,km,kind,stops,note\n"
                                     "1,Oslo,1.5,car,,x\n"
                                     "2,Rome,x1,car,,x\n"
                                     "3,Rome,1,plane,,x\n"
                                     "4,Rome,1,car\n"
                                     "5,\"Rome\"x,1,car,,x\n");
  sw::Graph g{"bad"};
  std::vector<sw::DeadLetter<sw::Str>> dead;
  std::vector<Trip> good;
  auto trips = sw::read_csv<Trip>(g, "trips", path, {},
                                  {.parallelism = 2, .errors = sw::ErrorPolicy::dead_letter()});
  trips.sink("good", sw::collect(good), {.parallelism = 1});
  trips.dead_letters().sink("dead", sw::collect(dead), {.parallelism = 1});
  sw::run(g, {.threads = 2});
  CHECK(good.size() == 1);
  std::vector<std::string> errors;
  for (const auto& d : dead) errors.push_back(d.error);
  errors = sw::test::sorted(errors);
  REQUIRE(errors.size() == 4);
  CHECK_THAT(errors[0],
             Catch::Contains(path + ":3 (byte 45): field 'km' (column 3): 'x1' is not a number"));
  CHECK_THAT(errors[1],
             Catch::Contains(path + ":4 (byte 62): field 'kind' (column 4): 'plane' is not"));
  CHECK_THAT(errors[2],
             Catch::Contains(path + ":5 (byte 80): the record has 4 fields, expected 6"));
  CHECK_THAT(errors[3], Catch::Contains(path + ":6 (byte 93): text after the closing quote"));
}

TEST_CASE("read_csv: the parse and the steps after it run as one loop, under skip too") {
  sw::test::TempDir dir;
  std::string content = "id,city,km,kind,stops,note\n";
  std::uint64_t bad = 0;
  std::int64_t expected = 0;
  for (int i = 0; i < 3000; ++i) {
    if (i % 89 == 3) {
      content += std::to_string(i) + ",Oslo,far,car,,x\n";
      ++bad;
      continue;
    }
    content += std::to_string(i) + ",Oslo," + std::to_string(i % 10) + ",bike,,x\n";
    if (i % 10 >= 5) expected += i;
  }
  const std::string path = dir.write("trips.csv", content);
  sw::Graph g{"csv"};
  g.default_parallelism(2);
  std::int64_t sum = 0;
  sw::read_csv<Trip>(g, "trips", path, {},
                     {.parallelism = 2, .batch_size = 64, .errors = sw::ErrorPolicy::skip()})
      .filter("far", [](const Trip& t) { return t.km >= 5; })
      .map("id", [](const Trip& t) { return t.id; })
      .sink("sum", sw::for_each([&sum](std::int64_t id) { sum += id; }), {.parallelism = 1});
  const sw::Plan plan = sw::make_plan(g, {});
  REQUIRE(plan.compiled.size() == 1);
  CHECK(plan.compiled[0].size() == 3);  // trips.parse, far, id
  const sw::RunReport report = sw::run(g, {.threads = 2});
  CHECK(sum == expected);
  CHECK(report.node("trips.parse").errors_skipped == bad);
  REQUIRE(!report.node("trips.parse").first_errors.empty());
  CHECK_THAT(report.node("trips.parse").first_errors.front(), Catch::Contains("'far'"));
}

TEST_CASE("read_csv: a missing column or file is an error when the graph is built") {
  sw::test::TempDir dir;
  const std::string path = dir.write("cols.csv", "id,city,kind\n1,Oslo,car\n");
  sw::Graph g{"columns"};
  CHECK_THROWS_WITH(sw::read_csv<Trip>(g, "trips", path),
                    Catch::Contains("node 'trips'") && Catch::Contains("no column 'km'") &&
                        Catch::Contains("columns: id, city, kind"));
  CHECK_THROWS_WITH(sw::read_csv<Trip>(g, "trips", dir.file("absent.csv")),
                    Catch::Contains("node 'trips'") && Catch::Contains("absent.csv"));
  CHECK_THROWS_WITH(sw::read_csv<Trip>(g, "trips", "-"), Catch::Contains("header = false"));
}

TEST_CASE("csv fields: splitting and quoting") {
  using sw::detail::csv::split_header;
  CHECK(split_header("a,b,,c,", ',') == std::vector<std::string>{"a", "b", "", "c", ""});
  CHECK(split_header("\"x,y\",\"\"\"\"", ',') == std::vector<std::string>{"x,y", "\""});
  CHECK(split_header("", ',') == std::vector<std::string>{""});
  CHECK_THROWS_WITH(split_header("\"open", ','), Catch::Contains("does not end"));
  std::string out;
  sw::detail::csv::append_field(out, "plain", ',');
  sw::detail::csv::append_field(out, "a\"b", ',');
  sw::detail::csv::append_field(out, "x;y", ';');
  CHECK(out == "plain\"a\"\"b\"\"x;y\"");
}
