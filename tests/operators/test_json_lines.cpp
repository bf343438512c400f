#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <streamweave/operators/json_lines.hpp>
#include <streamweave/streamweave.hpp>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/temp_dir.hpp"

namespace {

struct Access {
  sw::Symbol path;
  std::int64_t status = 0;
  double latency_ms = 0;
  std::optional<sw::Str> agent;
  friend bool operator==(const Access&, const Access&) = default;
  friend bool operator<(const Access& a, const Access& b) { return a.latency_ms < b.latency_ms; }
};
BOOST_DESCRIBE_STRUCT(Access, (), (path, status, latency_ms, agent))

}  // namespace

TEST_CASE("read_json_lines: lines into described structs, with any parallelism") {
  sw::test::TempDir dir;
  std::string content;
  std::vector<Access> expected;
  for (int i = 0; i < 3000; ++i) {
    Access a{sw::Symbol(i % 3 == 0 ? "/a" : "/b"), 200 + i % 5, i + 0.25, std::nullopt};
    if (i % 7 == 0) a.agent = sw::Str("curl \"7\"");
    expected.push_back(a);
    content += sw::to_json(a) + "\n";
  }
  const std::string path = dir.write("access.jsonl", content);
  for (unsigned parallelism : {1U, 2U, 5U}) {
    sw::Graph g{"json"};
    std::vector<Access> got;
    sw::read_json_lines<Access>(g, "logs", path, {.parallelism = parallelism})
        .sink("out", sw::collect(got), {.parallelism = 1});
    const sw::RunReport report = sw::run(g, {.threads = 2});
    CHECK(sw::test::sorted(got) == expected);
    CHECK(report.tasks <= parallelism + 1);  // read and parse fused
  }
}

TEST_CASE("read_json_lines: a bad line names the file, the line and the field") {
  sw::test::TempDir dir;
  const std::string path = dir.write("bad.jsonl",
                                     "{\"path\": \"/a\", \"status\": 200, \"latency_ms\": 1.5}\n"
                                     "{\"path\": \"/b\", \"status\": 200, \"latency_ms\": 2}\n"
                                     "{\"path\": \"/c\", \"status\": \"oops\", \"latency_ms\": 3}\n"
                                     "{\"path\": \"/d\", \"status\": 404, \"latency_ms\": 4}\n"
                                     "not json at all\n");
  SECTION("stop: the run fails at the first bad line") {
    sw::Graph g{"stop"};
    std::uint64_t n = 0;
    sw::read_json_lines<Access>(g, "logs", path, {.parallelism = 1}).sink("n", sw::count(n));
    try {
      sw::run(g, {.threads = 2});
      FAIL("the run should fail");
    } catch (const sw::NodeError& e) {
      CHECK(e.node() == "logs.parse");
      CHECK_THAT(e.what(), Catch::Contains(path + ":3") && Catch::Contains("status"));
    }
  }
  SECTION("skip: counted, the rest read") {
    sw::Graph g{"skip"};
    std::vector<Access> got;
    sw::read_json_lines<Access>(g, "logs", path,
                                {.parallelism = 1, .errors = sw::ErrorPolicy::skip()})
        .sink("out", sw::collect(got), {.parallelism = 1});
    const auto report = sw::run(g, {.threads = 2});
    CHECK(got.size() == 3);
    CHECK(report.node("logs.parse").errors_skipped == 2);
  }
  SECTION("dead_letter: the bad lines and why") {
    sw::Graph g{"dead"};
    std::vector<Access> got;
    std::vector<sw::DeadLetter<sw::Str>> dead;
    auto logs = sw::read_json_lines<Access>(
        g, "logs", path, {.parallelism = 1, .errors = sw::ErrorPolicy::dead_letter()});
    logs.sink("out", sw::collect(got), {.parallelism = 1});
    logs.dead_letters().sink("dead", sw::collect(dead), {.parallelism = 1});
    sw::run(g, {.threads = 2});
    REQUIRE(dead.size() == 2);
    CHECK(dead[0].item ==
          std::string_view("{\"path\": \"/c\", \"status\": \"oops\", \"latency_ms\": 3}"));
    CHECK_THAT(dead[0].error, Catch::Contains(path + ":3") && Catch::Contains("status"));
    CHECK_THAT(dead[1].error, Catch::Contains(path + ":5"));
  }
}

TEST_CASE("read_json_lines: parse, event time and a filter run as one loop, under skip too") {
  sw::test::TempDir dir;
  std::string content;
  std::map<std::pair<std::int64_t, std::int64_t>, std::uint64_t> expected;  // (status, start)
  std::uint64_t bad = 0;
  std::uint64_t good = 0;
  for (int i = 0; i < 5000; ++i) {
    if (i % 97 == 5) {
      content += "{\"path\": \"/x\", \"status\": \"oops\", \"latency_ms\": 1}\n";
      ++bad;
      continue;
    }
    const Access a{sw::Symbol("/a"), 200 + i % 3, static_cast<double>(i), std::nullopt};
    content += sw::to_json(a) + "\n";
    ++good;
    if (a.status != 201) ++expected[{a.status, i / 100 * 100}];
  }
  const std::string path = dir.write("timed.jsonl", content);
  for (const unsigned parallelism : {1U, 3U}) {
    CAPTURE(parallelism);
    sw::Graph g{"timed"};
    g.default_parallelism(parallelism);
    const auto time = [](const Access& a) { return static_cast<sw::EventTime>(a.latency_ms); };
    std::vector<sw::Windowed<std::int64_t, std::uint64_t>> got;
    sw::read_json_lines<Access>(g, "logs", path,
                                {.parallelism = parallelism, .errors = sw::ErrorPolicy::skip()})
        .with_watermarks("time", time)
        .filter("ok", [](const Access& a) { return a.status != 201; })
        .key_by([](const Access& a) { return a.status; })
        .window("per_status", sw::tumbling(100), time, sw::agg::count(),
                {.node = {.parallelism = 1}})
        .sink("out", sw::collect(got), {.parallelism = 1});
    // The parse, the event time and the filter compile into one loop; at parallelism 1 (no
    // exchange before it) the window's assigner too.
    const sw::Plan plan = sw::make_plan(g, {});
    REQUIRE(plan.compiled.size() == 1);
    std::vector<std::string> names;
    for (const sw::NodeId id : plan.compiled[0]) names.push_back(g.node(id).name());
    std::vector<std::string> expected_names{"logs.parse", "time", "ok"};
    if (parallelism == 1) expected_names.emplace_back("per_status");
    CHECK(names == expected_names);

    const sw::RunReport report = sw::run(g, {.threads = 2});
    std::map<std::pair<std::int64_t, std::int64_t>, std::uint64_t> windows;
    for (const auto& w : got) windows[{w.key, w.start}] += w.value;
    CHECK(windows == expected);
    CHECK(report.node("logs.parse").errors_skipped == bad);
    CHECK(report.node("logs.parse").items_out == good);
    CHECK(report.node("time").items_in == good);
    CHECK(report.node("ok").items_in == good);
    CHECK(report.node("per_status").late_dropped == 0);
    REQUIRE(!report.node("logs.parse").first_errors.empty());
    CHECK_THAT(report.node("logs.parse").first_errors.front(),
               Catch::Contains(path + ":6") && Catch::Contains("status"));
  }
}

TEST_CASE("write_json_lines: written lines read back equal") {
  sw::test::TempDir dir;
  std::vector<Access> items;
  for (int i = 0; i < 500; ++i) {
    Access& a = items.emplace_back();
    a.path = sw::Symbol("/p" + std::to_string(i % 4));
    a.status = i;
    a.latency_ms = i * 0.5;
    if (i % 2 != 0) a.agent.emplace("agent\n\t\"x\"");
  }
  {
    sw::Graph g{"write"};
    g.source("items", sw::from(items), {.parallelism = 2})
        .sink("out", sw::write_json_lines(dir.file("out.jsonl")));
    sw::run(g, {.threads = 2});
  }
  sw::Graph g{"read"};
  std::vector<Access> back;
  sw::read_json_lines<Access>(g, "in", dir.file("out.jsonl"))
      .sink("out", sw::collect(back), {.parallelism = 1});
  sw::run(g, {.threads = 2});
  CHECK(sw::test::sorted(back) == items);
}
