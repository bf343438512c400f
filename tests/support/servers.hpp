// Real servers for the connector tests: a child process started on a loopback port chosen
// free at run time, its data in a temp dir, killed (and the dir removed) when the object
// goes, even when a test fails; the child dies with the test process too (PR_SET_PDEATHSIG).
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

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

// A child process running `argv`, killed with SIGKILL when it goes out of scope.
class ChildProcess {
 public:
  explicit ChildProcess(std::vector<std::string> argv) {
    // Built before fork: the child of a process with threads may only make async-signal-safe
    // calls until it execs.
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork() failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { kill(); }

  void kill() noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
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

}  // namespace sw::test
