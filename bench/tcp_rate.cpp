// The TCP source against a plain read loop over the same connections: per round, --clients
// client threads each send --mb MiB of newline-terminated lines (--line bytes each) over
// loopback as fast as the reader takes them, to
//   - a plain loop: one thread, epoll over the accepted sockets, recv() into one 64 KiB buffer,
//     memchr() for each '\n' (what any line reader does at least);
//   - read_tcp(connections=N) into a count sink, at parallelism 1 (the loop's one thread), and
//     with --checkpointed, through the write-ahead log (checkpoints every 100 ms);
//   - with --uring (when built with liburing), the plain loop done with io_uring instead of
//     epoll: one recv in flight per socket, each into its own 64 KiB buffer. Whether io_uring
//     would read the same connections faster than epoll at all.
// Prints lines/s of each and the ratio, round by round; the baseline runs first in a round,
// the order switched every round.
//   tcp_rate [--clients 4] [--mb 64] [--line 100] [--rounds 3] [--checkpointed] [--uring]
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#ifdef STREAMWEAVE_HAVE_LIBURING
#include <liburing.h>
#endif
#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <streamweave/streamweave.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Setup {
  unsigned clients = 4;
  std::size_t mb = 64;
  std::size_t line = 100;
  unsigned rounds = 3;
  bool checkpointed = false;
  bool uring = false;
};

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size);
  ::close(fd);
  return ntohs(a.sin_port);
}

int connect_retrying(std::uint16_t port) {
  for (;;) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
    ::close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// The client threads: each sends `reps` copies of `text` (whole lines) and closes.
std::vector<std::thread> start_clients(const Setup& s, std::uint16_t port,
                                       const std::string& text) {
  std::vector<std::thread> clients;
  const std::size_t reps = (s.mb << 20) / text.size();
  for (unsigned c = 0; c < s.clients; ++c) {
    clients.emplace_back([port, &text, reps] {
      const int fd = connect_retrying(port);
      for (std::size_t r = 0; r < reps; ++r) {
        for (std::size_t sent = 0; sent < text.size();) {
          const ssize_t k = ::send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
          if (k <= 0) break;
          sent += static_cast<std::size_t>(k);
        }
      }
      ::close(fd);
    });
  }
  return clients;
}

// A socket listening on 127.0.0.1:port.
int listen_on(std::uint16_t port) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  const int on = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listener, 64) != 0) {
    throw std::runtime_error("plain loop: cannot listen");
  }
  return listener;
}

std::uint64_t count_lines(const char* data, std::size_t size) {
  std::uint64_t lines = 0;
  const char* end = data + size;
  for (const char* p = data; (p = static_cast<const char*>(std::memchr(p, '\n', end - p))); ++p) {
    ++lines;
  }
  return lines;
}

// The baseline: listen, accept the clients, read until all closed, counting lines.
std::uint64_t plain_loop(const Setup& s, std::uint16_t port, const std::string& text) {
  const int listener = listen_on(port);
  std::vector<std::thread> clients = start_clients(s, port, text);
  const int epoll = ::epoll_create1(0);
  for (unsigned c = 0; c < s.clients; ++c) {
    const int fd = ::accept(listener, nullptr, nullptr);
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.fd = fd;
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &e);
  }
  std::uint64_t lines = 0;
  std::array<char, 65536> buffer{};
  std::array<epoll_event, 64> events{};
  for (unsigned open = s.clients; open > 0;) {
    const int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (got <= 0) {
        ::close(fd);
        --open;
        continue;
      }
      lines += count_lines(buffer.data(), static_cast<std::size_t>(got));
    }
  }
  for (std::thread& t : clients) t.join();
  ::close(epoll);
  ::close(listener);
  return lines;
}

#ifdef STREAMWEAVE_HAVE_LIBURING
// The same loop on io_uring: a recv in flight on every socket, resubmitted as it completes.
std::uint64_t uring_loop(const Setup& s, std::uint16_t port, const std::string& text) {
  const int listener = listen_on(port);
  std::vector<std::thread> clients = start_clients(s, port, text);
  std::vector<int> fds;
  for (unsigned c = 0; c < s.clients; ++c) fds.push_back(::accept(listener, nullptr, nullptr));
  io_uring ring{};
  if (io_uring_queue_init(2 * s.clients + 8, &ring, 0) != 0) {
    throw std::runtime_error("io_uring_queue_init failed");
  }
  std::vector<std::array<char, 65536>> buffers(s.clients);
  const auto submit = [&](std::size_t c) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_recv(sqe, fds[c], buffers[c].data(), buffers[c].size(), 0);
    io_uring_sqe_set_data(sqe, reinterpret_cast<void*>(c));
  };
  for (std::size_t c = 0; c < fds.size(); ++c) submit(c);
  std::uint64_t lines = 0;
  for (unsigned open = s.clients; open > 0;) {
    io_uring_submit_and_wait(&ring, 1);
    io_uring_cqe* cqe = nullptr;
    unsigned seen = 0;
    unsigned head = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      const auto c = reinterpret_cast<std::size_t>(io_uring_cqe_get_data(cqe));
      if (cqe->res <= 0) {
        ::close(fds[c]);
        --open;
        continue;
      }
      lines += count_lines(buffers[c].data(), static_cast<std::size_t>(cqe->res));
      submit(c);
    }
    io_uring_cq_advance(&ring, seen);
  }
  io_uring_queue_exit(&ring);
  for (std::thread& t : clients) t.join();
  ::close(listener);
  return lines;
}
#endif

std::uint64_t streamweave(const Setup& s, std::uint16_t port, const std::string& text,
                          const std::filesystem::path& dir) {
  sw::Graph g{"tcp_rate"};
  std::uint64_t lines = 0;
  g.source("in", sw::read_tcp(fmt::format("tcp://127.0.0.1:{}?connections={}", port, s.clients)),
           {.parallelism = 1})
      .sink("n", sw::count(lines));
  sw::RunOptions o;
  o.threads = 2;
  if (s.checkpointed) {
    std::filesystem::remove_all(dir);
    o.checkpoints.directory = dir;
    o.checkpoints.interval = std::chrono::milliseconds(100);
  }
  std::vector<std::thread> clients = start_clients(s, port, text);
  (void)sw::run(g, o);
  for (std::thread& t : clients) t.join();
  return lines;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"read_tcp against a plain read loop over the same connections"};
  Setup s;
  app.add_option("--clients", s.clients)->check(CLI::Range(1, 64));
  app.add_option("--mb", s.mb, "MiB per client")->check(CLI::Range(1, 4096));
  app.add_option("--line", s.line, "bytes per line, its '\\n' included")
      ->check(CLI::Range(2, 65536));
  app.add_option("--rounds", s.rounds)->check(CLI::Range(1, 100));
  app.add_flag("--checkpointed", s.checkpointed, "read_tcp with checkpoints (the write-ahead log)");
  app.add_flag("--uring", s.uring,
               "also the plain loop on io_uring (needs liburing at build time)");
  CLI11_PARSE(app, argc, argv);
  // Lines of --line bytes; whole lines per 1 MiB, so every client sends whole lines.
  std::string text;
  const std::string line = std::string(s.line - 1, 'w') + "\n";
  while (text.size() + line.size() <= (std::size_t{1} << 20)) text += line;
  const std::uint64_t expected =
      std::uint64_t{s.clients} * ((s.mb << 20) / text.size()) * (text.size() / line.size());
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("streamweave-tcp-bench-{}", ::getpid());
  fmt::print("{} clients x {} MiB of {}-byte lines{}\n", s.clients, s.mb, s.line,
             s.checkpointed ? ", read_tcp with checkpoints every 100 ms" : "");
#ifndef STREAMWEAVE_HAVE_LIBURING
  if (s.uring) {
    fmt::print(stderr, "tcp_rate: built without liburing (apt-get install liburing-dev)\n");
    return 2;
  }
#endif
  for (unsigned round = 1; round <= s.rounds; ++round) {
    double plain = 0, ours = 0, uring = 0;
    for (int k = 0; k < (s.uring ? 3 : 2); ++k) {
      // 0: the plain loop, 1: read_tcp, 2: io_uring; the first two swap every round.
      const int what = k == 2 ? 2 : (k == 0) == (round % 2 == 1) ? 0 : 1;
      const auto start = Clock::now();
      std::uint64_t lines = 0;
      if (what == 0) lines = plain_loop(s, free_port(), text);
      if (what == 1) lines = streamweave(s, free_port(), text, dir);
#ifdef STREAMWEAVE_HAVE_LIBURING
      if (what == 2) lines = uring_loop(s, free_port(), text);
#endif
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (lines != expected) {
        fmt::print(
            stderr, "{}: {} lines, expected {}\n",
            std::array{"plain loop", "read_tcp", "io_uring loop"}[static_cast<std::size_t>(what)],
            lines, expected);
        return 1;
      }
      const std::array<double*, 3> rate{&plain, &ours, &uring};
      *rate[static_cast<std::size_t>(what)] = static_cast<double>(lines) / seconds;
    }
    fmt::print("round {}: plain loop {:.0f} k lines/s, read_tcp {:.0f} k lines/s, ratio {:.2f}",
               round, plain / 1e3, ours / 1e3, ours / plain);
    if (s.uring) {
      fmt::print("; io_uring loop {:.0f} k lines/s, {:.2f} of the plain loop", uring / 1e3,
                 uring / plain);
    }
    fmt::print("\n");
  }
  std::filesystem::remove_all(dir);
  return 0;
}
