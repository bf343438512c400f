// Real servers for the connector tests: a child process started on a loopback port chosen
// free at run time, its data in a temp dir, killed (and the dir removed) when the object
// goes, even when a test fails; the child dies with the test process too (PR_SET_PDEATHSIG).
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "streamweave/operators/io/postgres_client.hpp"
#include "streamweave/operators/io/redis_client.hpp"
#include "support/temp_dir.hpp"

namespace sw::test {

// A loopback port nothing listens on now (the kernel's pick for a socket bound to port 0).
inline std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot pick a free loopback port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

// Who a child process runs as: unchanged, or a user's IDs (a server that refuses root).
struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  bool change = false;
};

// A child process running `argv`, ended when it goes out of scope: `stop_signal` first (a
// server that cleans up after itself on it), then SIGKILL after 5 s. Its output goes to `log`
// when one is named. It also dies with the thread that started it (PR_SET_PDEATHSIG): a test
// that restarts a server from a thread keeps that thread until the server may go.
class ChildProcess {
 public:
  explicit ChildProcess(std::vector<std::string> argv, RunAs as = {}, int stop_signal = SIGKILL,
                        const std::string& log = {})
      : stop_signal_(stop_signal) {
    // Built before fork: the child of a process with threads may only make async-signal-safe
    // calls until it execs.
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork() failed");
    if (pid_ == 0) {
      if (!log.empty()) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0) ::_exit(125);
      }
      if (as.change && (::setgid(as.gid) != 0 || ::setuid(as.uid) != 0)) ::_exit(126);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // after setuid, which clears it
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { kill(); }

  void kill() noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, stop_signal_);
    int status = 0;
    for (int i = 0; i < 500 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) ::usleep(10'000);
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int stop_signal_;
};

// redis-server on 127.0.0.1:port(), no persistence, its working dir a temp dir; waits until
// it answers PING (10 s at most). `extra` adds arguments ("--requirepass", "secret").
class RedisServer {
 public:
  explicit RedisServer(std::vector<std::string> extra = {})
      : port_(free_loopback_port()), extra_(std::move(extra)) {
    start();
  }

  // Kills the server now (a crash: nothing saved).
  void stop() noexcept { process_.reset(); }
  // Starts it again on the same port (empty: it kept nothing).
  void start() {
    std::vector<std::string> argv{
        "redis-server", "--port",    std::to_string(port_), "--bind", "127.0.0.1",
        "--save",       "",          "--appendonly",        "no",     "--dir",
        dir_.file(""),  "--logfile", dir_.file("redis.log")};
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    process_ = std::make_unique<ChildProcess>(argv);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      try {
        const RedisReply pong = client().command({"PING"});
        // Answering, even if only to say that it wants a password.
        if (pong.value().is_string() || pong.value().is_error()) return;
      } catch (const RedisError&) {
      }
      if (std::chrono::steady_clock::now() > give_up) {
        throw std::runtime_error("redis-server did not answer on port " + std::to_string(port_) +
                                 ": " + TempDir::read(dir_.file("redis.log")));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  // redis://127.0.0.1:PORT
  [[nodiscard]] std::string uri() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // A connection to it (password: the one to authenticate with, if any).
  [[nodiscard]] RedisClient client(const std::string& password = "") const {
    RedisAddress address = RedisAddress::parse(uri());
    address.password = password;
    return RedisClient(address);
  }

 private:
  std::uint16_t port_;
  std::vector<std::string> extra_;
  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
};

// A PostgreSQL cluster made by initdb in a temp dir, its server on 127.0.0.1:port() (and a
// Unix socket in the dir); user "streamweave", password "secret" (scram-sha-256), database
// "streamweave". Run as the user "postgres" when the tests run as root (the server refuses
// root). Stopped with SIGQUIT (an immediate shutdown) when the object goes.
class PostgresServer {
 public:
  PostgresServer() : port_(free_loopback_port()) {
    if (::geteuid() == 0) {
      const passwd* user = ::getpwnam("postgres");
      if (user == nullptr) throw std::runtime_error("no user 'postgres' to run the server as");
      as_ = RunAs{user->pw_uid, user->pw_gid, true};
      std::filesystem::permissions(dir_.file(""), std::filesystem::perms::all);
    }
    const std::string password = dir_.write("password", "secret\n");
    run({bin("initdb"), "-D", data(), "-U", "streamweave", "--pwfile=" + password,
         "--auth=scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"},
        "initdb");
    start();
    PostgresClient(PostgresAddress::parse(uri("postgres"))).exec("CREATE DATABASE streamweave");
  }

  // Stops the server at once, as a crash would (it recovers from its WAL at start()).
  void stop() noexcept { process_.reset(); }
  void start() {
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{bin("postgres"), "-D", data(), "-p", std::to_string(port_), "-k",
                                 dir_.file(""), "-c", "listen_addresses=127.0.0.1", "-c",
                                 "fsync=off", "-c", "logging_collector=off"},
        as_, SIGQUIT, dir_.file("postgres.log"));
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      try {
        PostgresClient client(PostgresAddress::parse(uri("postgres")));
        return;
      } catch (const PostgresError& e) {
        if (std::chrono::steady_clock::now() > give_up) {
          throw std::runtime_error("postgres did not answer on port " + std::to_string(port_) +
                                   ": " + e.what());
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  // postgresql://streamweave:secret@127.0.0.1:PORT/DATABASE
  [[nodiscard]] std::string uri(const std::string& database = "streamweave") const {
    return "postgresql://streamweave:secret@127.0.0.1:" + std::to_string(port_) + "/" + database;
  }
  [[nodiscard]] PostgresClient client() const {
    return PostgresClient(PostgresAddress::parse(uri()));
  }

 private:
  static std::string bin(const std::string& program) {
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql")) {
      const std::filesystem::path p = entry.path() / "bin" / program;
      if (std::filesystem::exists(p)) return p.string();
    }
    throw std::runtime_error("no " + program + " under /usr/lib/postgresql (postgresql-15)");
  }
  [[nodiscard]] std::string data() const { return dir_.file("data"); }

  // Runs a program to its end, as as_, its output in WHAT.log; throws with it when it fails.
  void run(std::vector<std::string> argv, const std::string& what) {
    const std::string log = dir_.file(what + ".log");
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork() failed");
    if (pid == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0) ::_exit(125);
      if (as_.change && (::setgid(as_.gid) != 0 || ::setuid(as_.uid) != 0)) ::_exit(126);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw std::runtime_error(what + " failed (" + std::to_string(status) +
                               "): " + TempDir::read(log));
    }
  }

  std::uint16_t port_;
  TempDir dir_;
  RunAs as_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace sw::test
