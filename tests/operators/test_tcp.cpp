// read_tcp and write_tcp over loopback sockets: many clients with random framing, write sizes
// and parallelism; frames too long, clients that vanish mid-frame, a crash and a restart on
// another parallelism through the write-ahead log, the sink's round trip, a server not there
// and one that drops the sink's connection.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <map>
#include <random>
#include <streamweave/streamweave.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/checkpoint_files.hpp"
#include "support/servers.hpp"
#include "support/temp_dir.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;

// A test client: connects to 127.0.0.1:port, retrying while the run is still starting.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    for (;;) {
      fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(port);
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return;
      ::close(fd_);
      if (std::chrono::steady_clock::now() > give_up) throw std::runtime_error("cannot connect");
      std::this_thread::sleep_for(5ms);
    }
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() { close(); }

  // Sends `bytes` in writes of 1 to `most` bytes.
  void send(std::string_view bytes, std::size_t most, std::mt19937& rng) {
    while (!bytes.empty()) {
      const std::size_t n = std::min<std::size_t>(bytes.size(), 1 + rng() % most);
      const ssize_t sent = ::send(fd_, bytes.data(), n, MSG_NOSIGNAL);
      if (sent <= 0) throw std::runtime_error("send failed");
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
  }
  void close() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Gone without a goodbye: the server sees a reset.
  void reset() noexcept {
    const linger abort{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    close();
  }

 private:
  int fd_ = -1;
};

std::string framed(std::string_view frame, bool length) {
  if (!length) return std::string(frame) + "\n";
  const auto n = static_cast<std::uint32_t>(frame.size());
  std::string out{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                  static_cast<char>(n)};
  return out + std::string(frame);
}

std::string uri(std::uint16_t port, const std::string& query) {
  return "tcp://127.0.0.1:" + std::to_string(port) + (query.empty() ? "" : "?" + query);
}

std::vector<std::string> strings(const std::vector<sw::Str>& frames) {
  std::vector<std::string> out;
  for (const sw::Str& f : frames) out.push_back(f.str());
  std::sort(out.begin(), out.end());
  return out;
}

// A server for the sink: accepts `connections` clients one after another and keeps all they
// sent; with `drop_after`, the first connection is closed once it has sent that many bytes.
std::string serve(int listener, unsigned connections, std::size_t drop_after = 0) {
  std::string all;
  for (unsigned k = 0; k < connections; ++k) {
    const int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) break;
    std::array<char, 65536> buffer{};
    std::size_t got_here = 0;
    for (;;) {
      const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (n <= 0) break;
      all.append(buffer.data(), static_cast<std::size_t>(n));
      got_here += static_cast<std::size_t>(n);
      if (k == 0 && drop_after != 0 && got_here >= drop_after) break;
    }
    ::close(fd);
  }
  return all;
}

int listen_on(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 16) != 0) {
    throw std::runtime_error("cannot listen");
  }
  return fd;
}

}  // namespace

TEST_CASE("A tcp URI is checked when the graph is built, naming what is wrong") {
  CHECK_THROWS_WITH(sw::read_tcp("tcp://127.0.0.1"), Catch::Contains("no port"));
  CHECK_THROWS_WITH(sw::read_tcp("tcp://127.0.0.1:9000?framing=xml"),
                    Catch::Contains("framing=xml (expected lines or length)"));
  CHECK_THROWS_WITH(sw::read_tcp("tcp://127.0.0.1:9000?max_frame=big"),
                    Catch::Contains("max_frame=big (expected a whole number)"));
  CHECK_THROWS_WITH(sw::read_tcp("tcp://127.0.0.1:9000?colour=red"), Catch::Contains("colour"));
  CHECK_THROWS_WITH(sw::write_tcp("tcp://127.0.0.1:9000?connections=2"),
                    Catch::Contains("connections"));
  CHECK_THROWS_WITH(sw::read_tcp("tcp://127.0.0.1:9000/path"), Catch::Contains("tcp://host:port"));
  CHECK_NOTHROW(sw::read_tcp("tcp://127.0.0.1:9000?framing=length&max_frame=100&connections=3"));
  CHECK_NOTHROW(sw::write_tcp("tcp://127.0.0.1:9000?framing=length&max_frame=100"));
  CHECK_THROWS_WITH(sw::write_tcp("tcp://127.0.0.1:9000?malformed=skip"),
                    Catch::Contains("malformed"));
}

TEST_CASE(
    "Many tcp clients' frames each arrive once, whatever the framing, writes and parallelism") {
  sw::test::Watchdog watchdog("tcp many clients", 120s);
  std::mt19937 rng(std::random_device{}());
  for (const bool length : {false, true}) {
    const unsigned clients = 1 + rng() % 8, parallelism = 1 + rng() % 3;
    const std::size_t most = 1 + rng() % 5000;
    INFO("length " << length << ", " << clients << " clients, parallelism " << parallelism
                   << ", writes up to " << most);
    const std::uint16_t port = sw::test::free_loopback_port();
    sw::Graph g{"tcp_many"};
    std::vector<sw::Str> frames;
    g.source("in",
             sw::read_tcp(uri(port, std::string(length ? "framing=length&" : "") +
                                        "connections=" + std::to_string(clients))),
             {.parallelism = parallelism, .batch_size = 1 + rng() % 700})
        .sink("frames", sw::collect(frames));
    auto run = std::async(std::launch::async, [&] { return sw::run(g, {.threads = 2}); });
    std::vector<std::string> sent;
    std::vector<std::thread> senders;
    for (unsigned c = 0; c < clients; ++c) {
      std::string bytes;
      for (int k = 0; k < 3000; ++k) {
        // Empty frames, and now and then one longer than a 64 KiB buffer.
        std::string frame = k % 97 == 0 ? "" : "c" + std::to_string(c) + "-" + std::to_string(k);
        if (k % 1000 == 7) frame += std::string(100'000, 'x');
        if (length && k % 50 == 3) frame += std::string("\n\0\r", 3);
        bytes += framed(frame, length);
        sent.push_back(frame);
      }
      senders.emplace_back([bytes = std::move(bytes), port, most, seed = rng()] {
        std::mt19937 local(seed);
        Client client(port);
        client.send(bytes, most, local);
      });
    }
    for (std::thread& t : senders) t.join();
    const sw::RunReport r = run.get();
    std::sort(sent.begin(), sent.end());
    CHECK(strings(frames) == sent);
    CHECK(r.node("in").errors_skipped == 0);
  }
}

TEST_CASE("A tcp frame longer than max_frame fails the node naming the client, or is skipped") {
  sw::test::Watchdog watchdog("tcp oversized", 60s);
  std::mt19937 rng(std::random_device{}());
  for (const bool length : {false, true}) {
    INFO("length " << length);
    {
      const std::uint16_t port = sw::test::free_loopback_port();
      sw::Graph g{"tcp_too_long"};
      std::vector<sw::Str> frames;
      g.source("in", sw::read_tcp(uri(port, std::string(length ? "framing=length&" : "") +
                                                "max_frame=1000&connections=1")))
          .sink("frames", sw::collect(frames));
      auto run = std::async(std::launch::async, [&] { return sw::run(g, {.threads = 2}); });
      {
        Client client(port);
        client.send(framed("fine", length) + framed(std::string(5000, 'y'), length), 100, rng);
      }
      CHECK_THROWS_WITH(run.get(), Catch::Contains("node 'in'") &&
                                       Catch::Contains("client 127.0.0.1:") &&
                                       Catch::Contains("longer than max_frame=1000") &&
                                       Catch::Contains("byte " + std::to_string(length ? 8 : 5)));
    }
    const std::uint16_t port = sw::test::free_loopback_port();
    sw::Graph g{"tcp_skip_long"};
    std::vector<sw::Str> frames;
    g.source("in", sw::read_tcp(uri(port, std::string(length ? "framing=length&" : "") +
                                              "max_frame=1000&malformed=skip&connections=1")))
        .sink("frames", sw::collect(frames));
    auto run = std::async(std::launch::async, [&] { return sw::run(g, {.threads = 2}); });
    {
      Client client(port);
      client.send(framed("a", length) + framed(std::string(200'000, 'y'), length) +
                      framed("b", length) + framed(std::string(1000, 'z'), length),
                  1 + rng() % 70'000, rng);
    }
    const sw::RunReport r = run.get();
    CHECK(strings(frames) == std::vector<std::string>{"a", "b", std::string(1000, 'z')});
    CHECK(r.node("in").errors_skipped == 1);
  }
}

TEST_CASE("TcpOptions::max_frame bounds a frame where the URI sets none, and the URI's wins") {
  sw::test::Watchdog watchdog("tcp max_frame option", 60s);
  std::mt19937 rng(std::random_device{}());
  CHECK_THROWS_WITH(sw::read_tcp("tcp://127.0.0.1:9000", {.max_frame = 0}),
                    Catch::Contains("max_frame=0 (TcpOptions) must be 1 to 4294967295 bytes"));
  CHECK_THROWS_WITH(sw::write_tcp("tcp://127.0.0.1:9000", {.max_frame = std::size_t{1} << 32}),
                    Catch::Contains("max_frame=4294967296 (TcpOptions) must be"));
  CHECK_NOTHROW(sw::read_tcp("tcp://127.0.0.1:9000?max_frame=10", {.max_frame = 0}));
  for (const bool uri_sets : {false, true}) {
    INFO("the URI sets max_frame: " << uri_sets);
    const std::uint16_t port = sw::test::free_loopback_port();
    sw::Graph g{"tcp_max_frame_option"};
    std::vector<sw::Str> frames;
    g.source("in",
             sw::read_tcp(uri(port, uri_sets ? "max_frame=10000&connections=1" : "connections=1"),
                          {.max_frame = 1000}))
        .sink("frames", sw::collect(frames));
    auto run = std::async(std::launch::async, [&] { return sw::run(g, {.threads = 2}); });
    {
      Client client(port);
      client.send(framed("fine", false) + framed(std::string(5000, 'y'), false), 100, rng);
    }
    if (uri_sets) {
      const sw::RunReport r = run.get();
      CHECK(strings(frames) == std::vector<std::string>{"fine", std::string(5000, 'y')});
      CHECK(r.node("in").errors_skipped == 0);
    } else {
      CHECK_THROWS_WITH(
          run.get(), Catch::Contains("node 'in'") && Catch::Contains("longer than max_frame=1000"));
    }
  }
}

TEST_CASE("A tcp client that vanishes mid-frame loses that frame only, counted and named") {
  sw::test::Watchdog watchdog("tcp vanished", 60s);
  std::mt19937 rng(std::random_device{}());
  for (const bool length : {false, true}) {
    INFO("length " << length);
    const std::uint16_t port = sw::test::free_loopback_port();
    sw::Graph g{"tcp_vanished"};
    std::vector<sw::Str> frames;
    g.source(
         "in",
         sw::read_tcp(uri(port, std::string(length ? "framing=length&" : "") + "connections=3")),
         {.parallelism = 2})
        .sink("frames", sw::collect(frames));
    auto run = std::async(std::launch::async, [&] { return sw::run(g, {.threads = 2}); });
    const std::string cut = framed("cut short", true).substr(0, 7);  // a length frame's start
    {
      Client whole(port), reset(port), closed(port);
      reset.send(framed("r1", length) + (length ? cut : "half a li"), 3, rng);
      closed.send(framed("c1", length) + cut, 3, rng);
      std::this_thread::sleep_for(50ms);  // the bytes are there before the end
      reset.reset();
      whole.send(framed("w1", length) + framed("w2", length), 2, rng);
    }
    const sw::RunReport r = run.get();
    // An orderly close ends a last line; a length frame cut short is lost either way.
    std::vector<std::string> expected{"c1", "r1", "w1", "w2"};
    if (!length) expected = {cut, "c1", "r1", "w1", "w2"};
    std::sort(expected.begin(), expected.end());
    CHECK(strings(frames) == expected);
    CHECK(r.node("in").errors_skipped == (length ? 2 : 1));
    REQUIRE(!r.node("in").first_errors.empty());
    CHECK_THAT(r.node("in").first_errors.front(),
               Catch::Contains("in the middle of a frame") && Catch::Contains("client 127.0.0.1:"));
  }
}

TEST_CASE("A tcp source through a crash and a restart on another parallelism, exactly once") {
  sw::test::Watchdog watchdog("tcp exactly once", 180s);
  std::mt19937 rng(std::random_device{}());
  sw::test::TempDir dir;
  const unsigned before = 1 + rng() % 3, after = 1 + rng() % 3;
  INFO("parallelism " << before << ", restored into " << after);
  const std::uint16_t port = sw::test::free_loopback_port();
  constexpr std::int64_t kFirst = 20'000, kAll = 30'000;
  std::atomic<std::int64_t> passed{0};
  const auto run_once = [&](unsigned parallelism, const std::string& query, const sw::RunOptions& o,
                            std::int64_t& sum) {
    sw::Graph g{"tcp_exactly_once"};
    std::vector<sw::KeyValue<int, std::int64_t>> sums;
    g.source("in", sw::read_tcp(uri(port, query)), {.parallelism = parallelism})
        .map("number",
             [&](const sw::Str& s) {
               ++passed;
               return std::stoll(s.str());
             })
        .key_by([](std::int64_t) { return 0; })
        .reduce("sum", [](std::int64_t a, std::int64_t b) { return a + b; },
                {.emit = sw::Emit::at_end, .node = {.parallelism = 1}})
        .sink("sums", sw::collect(sums));
    const sw::RunReport r = sw::run(g, o);
    sum = sums.empty() ? 0 : sums.front().value;
    return r;
  };
  const auto numbers = [](std::int64_t from, std::int64_t to) {
    std::string bytes;
    for (std::int64_t k = from; k <= to; ++k) bytes += std::to_string(k) + "\n";
    return bytes;
  };
  sw::RunOptions o;
  o.threads = 2;
  o.batch_size = 16 + rng() % 500;
  o.checkpoints.directory = dir.file("checkpoints");
  o.checkpoints.interval = 20ms;
  sw::CancelToken stop;
  o.cancel = stop;
  std::int64_t sum = 0;
  auto first = std::async(std::launch::async, [&] { return run_once(before, "", o, sum); });
  {
    Client a(port), b(port);
    a.send(numbers(1, kFirst / 2), 4096, rng);
    b.send(numbers(kFirst / 2 + 1, kFirst), 4096, rng);
    // Stopped once all went in and a checkpoint completed: what came after the last one is
    // in the log only.
    while (passed.load() < kFirst || sw::test::complete_checkpoints(dir.file("checkpoints")) == 0) {
      std::this_thread::sleep_for(1ms);
    }
    stop.cancel();
    REQUIRE(first.get().status == sw::RunReport::Status::cancelled);
  }
  sw::RunOptions again = o;
  again.cancel = {};
  auto second =
      std::async(std::launch::async, [&] { return run_once(after, "connections=2", again, sum); });
  {
    Client a(port), b(port);
    a.send(numbers(kFirst + 1, 25'000), 4096, rng);
    b.send(numbers(25'001, kAll), 4096, rng);
  }
  const sw::RunReport r = second.get();
  CHECK(r.checkpoints.restored_from != 0);
  CHECK(sum == kAll * (kAll + 1) / 2);  // each number once into the state
}

TEST_CASE("write_tcp sends every item to read_tcp, in either framing, from several instances") {
  sw::test::Watchdog watchdog("tcp round trip", 120s);
  std::mt19937 rng(std::random_device{}());
  for (const bool length : {false, true}) {
    const unsigned writers = 1 + rng() % 3;
    INFO("length " << length << ", " << writers << " writers");
    const std::uint16_t port = sw::test::free_loopback_port();
    const std::string framing = length ? "framing=length" : "";
    sw::Graph reader{"tcp_reader"};
    std::vector<sw::Str> frames;
    reader
        .source("in",
                sw::read_tcp(uri(port, (length ? framing + "&" : "") +
                                           "connections=" + std::to_string(writers))),
                {.parallelism = 1 + rng() % 2})
        .sink("frames", sw::collect(frames));
    auto read = std::async(std::launch::async, [&] { return sw::run(reader, {.threads = 2}); });
    std::this_thread::sleep_for(100ms);  // listening
    sw::Graph writer{"tcp_writer"};
    writer.source("n", sw::generate<std::uint64_t>(50'000, [](std::uint64_t i) { return i; }))
        .map("text", [](std::uint64_t i) { return std::to_string(i); })
        .sink("out", sw::write_tcp(uri(port, framing)),
              {.parallelism = writers, .batch_size = 1 + rng() % 900});
    const sw::RunReport w = sw::run(writer, {.threads = 2});
    CHECK(w.node("out").items_in == 50'000);
    (void)read.get();
    std::vector<std::string> expected;
    for (int i = 0; i < 50'000; ++i) expected.push_back(std::to_string(i));
    std::sort(expected.begin(), expected.end());
    CHECK(strings(frames) == expected);
  }
}

TEST_CASE("A tcp port another socket holds fails the run at its start, naming the URI") {
  sw::test::Watchdog watchdog("tcp port in use", 60s);
  const std::uint16_t port = sw::test::free_loopback_port();
  const int other = listen_on(port);  // without SO_REUSEPORT: the port is not shared
  sw::Graph g{"tcp_in_use"};
  std::vector<sw::Str> frames;
  g.source("in", sw::read_tcp(uri(port, ""))).sink("frames", sw::collect(frames));
  CHECK_THROWS_WITH(sw::run(g, {.threads = 2}),
                    Catch::Contains("node 'in'") &&
                        Catch::Contains("cannot listen on " + uri(port, "")) &&
                        Catch::Contains("Address already in use"));
  ::close(other);
}

TEST_CASE("A tcp sink whose server is not there fails the run at its start, naming the URI") {
  sw::test::Watchdog watchdog("tcp sink down", 60s);
  const std::string to = uri(sw::test::free_loopback_port(), "");
  sw::Graph g{"tcp_down"};
  std::atomic<std::uint64_t> made{0};
  g.source("n", sw::generate<std::uint64_t>(1000,
                                            [&](std::uint64_t i) {
                                              ++made;
                                              return i;
                                            }))
      .sink("out", sw::write_tcp(to), {.parallelism = 2});
  CHECK_THROWS_WITH(sw::run(g, {.threads = 2}), Catch::Contains("node 'out'") &&
                                                    Catch::Contains("cannot connect to " + to) &&
                                                    Catch::Contains("refused"));
  CHECK(made == 0);  // before any item moved
}

TEST_CASE("A tcp sink reconnects to a server that dropped it and goes on") {
  sw::test::Watchdog watchdog("tcp sink dropped", 60s);
  const std::uint16_t port = sw::test::free_loopback_port();
  const int listener = listen_on(port);
  auto received = std::async(std::launch::async, [&] { return serve(listener, 2, 10'000); });
  sw::Graph g{"tcp_dropped"};
  g.source("n", sw::generate<std::uint64_t>(100'000, [](std::uint64_t i) { return i; }),
           {.parallelism = 1})  // in order: a loss is one run of numbers
      .map("text", [](std::uint64_t i) { return std::to_string(i); })
      .sink("out", sw::write_tcp(uri(port, "")), {.parallelism = 1, .batch_size = 100});
  sw::run(g, {.threads = 2, .source_rate = 200'000});
  const std::string all = received.get();
  ::close(listener);
  // What the first connection had in flight when it was dropped is lost (TCP tells a sender
  // nothing of it); everything after the reconnect arrives.
  std::vector<bool> seen(100'000, false);
  for (std::size_t at = 0; at < all.size();) {
    const std::size_t nl = all.find('\n', at);
    if (nl == std::string::npos) break;
    const std::string line = all.substr(at, nl - at);
    at = nl + 1;
    if (line.empty() || line.size() > 5) continue;  // a line the drop cut, glued to the next
    seen[std::stoull(line)] = true;
  }
  CHECK(all.size() > 20'000);  // the second connection's
  std::vector<int> missing;
  for (int i = 0; i < 100'000; ++i) {
    if (!seen[static_cast<std::size_t>(i)]) missing.push_back(i);
  }
  INFO("missing " << missing.size() << ", first " << (missing.empty() ? -1 : missing.front())
                  << ", last " << (missing.empty() ? -1 : missing.back()));
  // One send's worth at most (what the dropped connection took after the server closed it:
  // a batch, or 64 KiB of about 6-byte lines), then everything.
  if (!missing.empty()) CHECK(missing.back() - missing.front() < 12'000);
  CHECK(std::count(seen.end() - 1'000, seen.end(), false) == 0);
}

TEST_CASE("A tcp sink refuses an item with a newline under framing=lines") {
  sw::test::Watchdog watchdog("tcp sink newline", 60s);
  const std::uint16_t port = sw::test::free_loopback_port();
  const int listener = listen_on(port);
  auto received = std::async(std::launch::async, [&] { return serve(listener, 1); });
  sw::Graph g{"tcp_newline"};
  g.source("n", sw::from(std::vector<std::string>{"one", "two\nthree", "four"}), {.parallelism = 1})
      .sink("out", sw::write_tcp(uri(port, "")),
            {.parallelism = 1, .errors = sw::ErrorPolicy::skip()});
  const sw::RunReport r = sw::run(g, {.threads = 2});
  CHECK(received.get() == "one\nfour\n");
  ::close(listener);
  CHECK(r.node("out").errors_skipped == 1);
}
