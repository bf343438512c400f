// Live metrics (RunOptions::metrics): the HTTP server, the Prometheus text a running graph
// serves, and the watermark and checkpoint of the progress report.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <sstream>
#include <streamweave/streamweave.hpp>
#include <system_error>
#include <thread>

#include "../../runtime/src/metrics_server.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "support/watchdog.hpp"

namespace {

// The sum of the samples of `name` whose labels hold `label` (all of them when empty); -1
// when there is none.
double metric_sum(const std::string& text, const std::string& name, const std::string& label) {
  std::istringstream lines(text);
  std::string line;
  double sum = 0;
  bool found = false;
  while (std::getline(lines, line)) {
    if (!line.starts_with(name + "{")) continue;
    if (!label.empty() && line.find(label) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
    found = true;
  }
  return found ? sum : -1;
}

std::string body_of(const std::string& response) {
  const std::size_t at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

// Scrapes the run's /metrics from a thread, every `every`, from when the server listens until
// `take` returns false, the server is gone, or stop(). Sets up `options` to serve on a free
// port; must outlive the run.
class Scraper {
 public:
  Scraper(sw::RunOptions& options, std::chrono::milliseconds every,
          std::function<bool(const std::string&)> take)
      : take_(std::move(take)) {
    options.metrics.port = 0;
    options.metrics.on_listening = [this](std::uint16_t p) { port_ = p; };
    thread_ = std::thread([this, every] { scrape(every); });
  }
  Scraper(const Scraper&) = delete;
  Scraper& operator=(const Scraper&) = delete;
  ~Scraper() { stop(); }

  void stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  void scrape(std::chrono::milliseconds every) {
    while (port_ == 0 && !done_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    while (!done_) {
      try {
        if (!take_(body_of(sw::test::http_get(port_, "/metrics")))) return;
      } catch (const std::runtime_error&) {
        return;  // the run ended and the server with it
      }
      std::this_thread::sleep_for(every);
    }
  }

  std::function<bool(const std::string&)> take_;
  std::atomic<std::uint16_t> port_{0};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// The graph of the tests below: wall-clock stamps, event time in milliseconds, latency
// measured, counted at the end.
void stamped_graph(sw::Graph& g, std::uint64_t items, unsigned parallelism, std::uint64_t& n) {
  g.source("stamps",
           sw::generate<std::int64_t>(items, [](std::uint64_t) { return sw::wall_clock_ns(); }),
           {.parallelism = parallelism})
      .with_watermarks("time", [](std::int64_t ns) { return ns / 1'000'000; })
      .measure_latency("age", [](std::int64_t ns) { return ns; })
      .sink("n", sw::count(n), {.parallelism = 1, .chain = false});
}

}  // namespace

TEST_CASE("HTTP request lines are parsed or refused") {
  using sw::runtime::parse_request_line;
  const auto get = parse_request_line("GET /metrics?name[]=x HTTP/1.1\r\nHost: a");
  REQUIRE(get);
  CHECK(get->method == "GET");
  CHECK(get->target == "/metrics");
  CHECK(parse_request_line("HEAD / HTTP/1.0")->method == "HEAD");
  for (const char* bad : {"", "GET", "GET /metrics", "GET  HTTP/1.1", " / HTTP/1.1",
                          "GET /metrics SPDY/3", "\r\n\r\n", "GET /metrics HTTP/2"}) {
    CHECK_FALSE(parse_request_line(bad));
  }
}

TEST_CASE("The metrics server answers each request with its status") {
  const auto render = [] { return std::string("streamweave_x 1\n"); };
  using sw::runtime::http_response;
  const std::string ok = http_response("GET /metrics HTTP/1.1", render);
  CHECK(ok.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(ok.find("Content-Type: text/plain; version=0.0.4") != std::string::npos);
  CHECK(ok.find("Content-Length: 16\r\n") != std::string::npos);
  CHECK(ok.ends_with("\r\n\r\nstreamweave_x 1\n"));
  const std::string head = http_response("HEAD /metrics HTTP/1.1", render);
  CHECK(head.find("Content-Length: 16\r\n") != std::string::npos);
  CHECK(head.ends_with("\r\n\r\n"));
  CHECK(http_response("GET /nope HTTP/1.1", render).starts_with("HTTP/1.1 404 "));
  CHECK(http_response("POST /metrics HTTP/1.1", render).starts_with("HTTP/1.1 405 "));
  CHECK(http_response("hello", render).starts_with("HTTP/1.1 400 "));
  const auto failing = []() -> std::string { throw std::runtime_error("no figures"); };
  const std::string error = http_response("GET /metrics HTTP/1.1", failing);
  CHECK(error.starts_with("HTTP/1.1 500 "));
  CHECK(error.ends_with("no figures\n"));
}

TEST_CASE("The metrics server outlasts silent oversized and vanishing clients") {
  sw::test::Watchdog watchdog("metrics server clients", std::chrono::seconds(60));
  sw::runtime::MetricsServer server("127.0.0.1", 0, [] { return std::string("up 1\n"); });
  REQUIRE(server.port() != 0);
  {
    // Connects and says nothing: dropped after the request timeout; the next one is answered.
    const sw::test::LoopbackSocket silent(server.port());
    const auto start = std::chrono::steady_clock::now();
    const std::string answer = sw::test::http_get(server.port(), "/metrics");
    CHECK(body_of(answer) == "up 1\n");
    CHECK(std::chrono::steady_clock::now() - start < sw::runtime::kRequestTimeout * 3);
  }
  {
    // A head larger than the limit, with no end: refused, not buffered without end.
    const sw::test::LoopbackSocket big(server.port());
    big.send_all("GET /metrics HTTP/1.1\r\nX: " + std::string(sw::runtime::kMaxRequestBytes, 'a'));
    CHECK(big.read_all().starts_with("HTTP/1.1 431 "));
  }
  for (int i = 0; i < 20; ++i) {
    const sw::test::LoopbackSocket gone(server.port());
    gone.send_all("GET /metrics HTTP/1.1\r\n");  // and leaves before the end of the head
  }
  CHECK(body_of(sw::test::http_get(server.port(), "/metrics")) == "up 1\n");
}

TEST_CASE("A metrics port that is taken fails the run naming the address") {
  sw::test::Watchdog watchdog("metrics port taken", std::chrono::seconds(60));
  sw::runtime::MetricsServer holder("127.0.0.1", 0, [] { return std::string(); });
  sw::Graph g{"taken"};
  std::uint64_t n = 0;
  stamped_graph(g, 10, 1, n);
  sw::RunOptions options;
  options.threads = 2;
  options.metrics.port = holder.port();
  try {
    sw::run(g, options);
    FAIL("the run started on a taken port");
  } catch (const std::system_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("127.0.0.1:" + std::to_string(holder.port())));
    CHECK(e.code() == std::errc::address_in_use);
  }
  options.metrics.address = "no.such.host.invalid";
  options.metrics.port = 0;
  CHECK_THROWS_WITH(sw::run(g, options), Catch::Contains("no.such.host.invalid"));
  CHECK(n == 0);
}

TEST_CASE("A running graph serves its figures rising to the report's") {
  sw::test::Watchdog watchdog("live metrics", std::chrono::seconds(90));
  std::mt19937 random(std::random_device{}());
  const unsigned parallelism = 1 + random() % 3;
  const std::uint64_t items = 3000;
  sw::test::TempDir dir;
  sw::Graph g{"live"};
  std::uint64_t n = 0;
  stamped_graph(g, items, parallelism, n);
  sw::RunOptions options;
  options.threads = 2;
  options.batch_size = 16 + random() % 200;
  options.source_rate = 3000;  // about a second
  options.checkpoints.directory = dir.file("checkpoints");
  options.checkpoints.interval = std::chrono::milliseconds(100);
  std::vector<std::string> scrapes;
  Scraper scraper(options, std::chrono::milliseconds(150), [&scrapes](const std::string& text) {
    scrapes.push_back(text);
    return true;
  });
  const sw::RunReport report = sw::run(g, options);
  scraper.stop();
  CHECK(n == items);
  REQUIRE(scrapes.size() >= 3);
  double previous = 0;
  bool rose = false;
  bool lag_seen = false;
  bool checkpoint_seen = false;
  for (const std::string& text : scrapes) {
    const double out = metric_sum(text, "streamweave_node_items_out_total", "node=\"stamps\"");
    REQUIRE(out >= previous);
    rose = rose || (out > previous && previous > 0);
    previous = out;
    CHECK(metric_sum(text, "streamweave_node_items_in_total", "node=\"stamps\"") == 0);
    const double lag = metric_sum(text, "streamweave_node_watermark_lag_seconds", "node=\"n\"");
    if (lag != -1) {
      lag_seen = true;
      CHECK(lag < 60);  // milliseconds since the epoch, taken as such
    }
    checkpoint_seen = checkpoint_seen || metric_sum(text, "streamweave_checkpoint_last_id", "") > 0;
  }
  CHECK(rose);
  CHECK(lag_seen);
  CHECK(checkpoint_seen);
  CHECK(previous <= static_cast<double>(report.node("stamps").items_out));
  const std::string& last = scrapes.back();
  CHECK(metric_sum(last, "streamweave_node_latency_seconds_count", "node=\"age\"") > 0);
  CHECK(metric_sum(last, "streamweave_node_latency_seconds_bucket", "le=\"+Inf\"") ==
        metric_sum(last, "streamweave_node_latency_seconds_count", ""));
  CHECK(metric_sum(last, "streamweave_run_threads", "graph=\"live\"") == 2);
  // One series per instance of each node.
  std::size_t stamps_series = 0;
  std::istringstream lines(last);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("streamweave_node_items_out_total{") &&
        line.find("node=\"stamps\"") != std::string::npos) {
      ++stamps_series;
    }
  }
  CHECK(stamps_series == parallelism);
}

TEST_CASE("on_progress: the watermark's lag and the last checkpoint") {
  sw::test::Watchdog watchdog("progress watermark", std::chrono::seconds(60));
  sw::test::TempDir dir;
  sw::Graph g{"progress"};
  std::uint64_t n = 0;
  stamped_graph(g, 2000, 2, n);
  std::vector<sw::RunProgress> seen;
  sw::RunOptions options;
  options.threads = 2;
  options.source_rate = 2500;
  options.progress_interval = std::chrono::milliseconds(50);
  options.checkpoints.directory = dir.file("checkpoints");
  options.checkpoints.interval = std::chrono::milliseconds(50);
  options.on_progress = [&seen](const sw::RunProgress& p) { seen.push_back(p); };
  sw::run(g, options);
  CHECK(n == 2000);
  REQUIRE(seen.size() >= 3);
  const auto lagging = std::count_if(seen.begin(), seen.end(), [](const sw::RunProgress& p) {
    return p.watermark_lag_seconds && *p.watermark_lag_seconds < 60;
  });
  CHECK(lagging > 0);
  CHECK(seen.back().last_checkpoint > 0);
  CHECK(seen.back().last_checkpoint_age_seconds >= 0);
  CHECK(seen.back().last_checkpoint_age_seconds < 10);
}

TEST_CASE("distributed: each rank serves the figures of its own instances", "[distributed]") {
  sw::test::Watchdog watchdog("distributed metrics", std::chrono::seconds(90));
  const sw::ClusterInfo& cluster = sw::cluster();
  sw::Graph g{"ranks"};
  std::uint64_t n = 0;
  stamped_graph(g, 2000, 2 * cluster.ranks, n);
  sw::RunOptions options;
  options.mode = sw::Mode::distributed;
  options.threads = 1;
  options.source_rate = 2500;
  std::string last;
  // Each rank serves on a free port of its own and scrapes itself.
  Scraper scraper(options, std::chrono::milliseconds(100), [&last](const std::string& text) {
    last = text;
    return true;
  });
  const sw::RunReport report = sw::run(g, options);
  scraper.stop();
  CHECK(report.node("stamps").items_out == 2000);
  REQUIRE_FALSE(last.empty());
  const std::string rank = "rank=\"" + std::to_string(cluster.rank) + "\"";
  std::istringstream lines(last);
  std::size_t instances = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("#")) continue;
    CHECK_THAT(line, Catch::Contains(rank));
    if (!line.starts_with("streamweave_node_items_out_total{") ||
        line.find("node=\"stamps\"") == std::string::npos) {
      continue;
    }
    ++instances;
    const std::size_t at = line.find("instance=\"") + 10;
    CHECK(std::stoul(line.substr(at)) % cluster.ranks == cluster.rank);  // placed here
  }
  CHECK(instances == 2);
}

namespace {

// Makes no item for `quiet`, then ends: holds a merge open while the rest of the graph idles.
struct QuietProducer {
  std::chrono::milliseconds quiet;
  std::optional<int> next() {
    std::this_thread::sleep_for(quiet);
    return std::nullopt;
  }
};

}  // namespace

TEST_CASE("A parked node's live figures are current") {
  sw::test::Watchdog watchdog("parked figures", std::chrono::seconds(60));
  std::mt19937 random(std::random_device{}());
  const std::uint64_t items = 1000 + random() % 5000;
  sw::Graph g{"parked"};
  std::uint64_t n = 0;
  auto numbers = g.source(
      "numbers", sw::generate<int>(items, [](std::uint64_t i) { return static_cast<int>(i); }),
      {.parallelism = 1, .batch_size = 1 + random() % 300});
  auto quiet = g.source("quiet", sw::producer(QuietProducer{std::chrono::milliseconds(3000)}),
                        {.parallelism = 1});
  numbers.merge(quiet).sink("n", sw::count(n), {.parallelism = 1, .chain = false});
  sw::RunOptions options;
  options.threads = 2;
  std::atomic<bool> all_seen{false};
  Scraper scraper(options, std::chrono::milliseconds(20), [&](const std::string& text) {
    all_seen = metric_sum(text, "streamweave_node_items_in_total", "node=\"n\"") ==
               static_cast<double>(items);
    return !all_seen;
  });
  sw::run(g, options);
  scraper.stop();
  CHECK(n == items);
  CHECK(all_seen);  // while the sink waited for the quiet source, not only at the end
}
