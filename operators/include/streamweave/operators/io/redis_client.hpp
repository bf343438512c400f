// A Redis connection for the stream connectors (and the tests that check what they wrote):
// commands one at a time or pipelined, replies as values, every failure a RedisError naming
// the server's URI (without its password). hiredis underneath.
//
// Thread safety: a RedisClient belongs to one thread at a time; RedisReply to its reader.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "streamweave/operators/io/service_uri.hpp"

struct redisReply;
struct redisContext;

namespace sw {

// A Redis server could not be reached, refused a command, or answered what was not expected.
// `io()` is true when the connection failed (worth reconnecting), false for a refusal.
class RedisError : public std::runtime_error {
 public:
  RedisError(const std::string& message, bool io) : std::runtime_error(message), io_(io) {}
  [[nodiscard]] bool io() const noexcept { return io_; }

 private:
  bool io_;
};

// redis://[[user]:password@]host[:port][/path][?query] (port 6379 by default): what a
// connector's URI names. The path and query are the connector's (a stream, a group).
struct RedisAddress : ServiceUri {
  // Throws std::invalid_argument naming `uri` and what is wrong with it.
  [[nodiscard]] static RedisAddress parse(std::string_view uri) {
    return RedisAddress{ServiceUri::parse(uri, "redis", 6379)};
  }
};

// One reply, or one element of an array reply (a view into its owner's tree).
class RedisValue {
 public:
  explicit RedisValue(const redisReply* reply) noexcept : reply_(reply) {}
  [[nodiscard]] bool is_nil() const noexcept;
  [[nodiscard]] bool is_error() const noexcept;
  [[nodiscard]] bool is_array() const noexcept;
  [[nodiscard]] bool is_string() const noexcept;  // bulk or status
  [[nodiscard]] bool is_integer() const noexcept;
  [[nodiscard]] std::string_view str() const noexcept;  // string, status or error text
  [[nodiscard]] long long integer() const noexcept;
  [[nodiscard]] std::size_t size() const noexcept;  // an array's elements; 0 otherwise
  [[nodiscard]] RedisValue operator[](std::size_t i) const noexcept;

 private:
  const redisReply* reply_;
};

// An owned reply.
class RedisReply {
 public:
  explicit RedisReply(redisReply* reply) noexcept : reply_(reply) {}
  [[nodiscard]] RedisValue value() const noexcept { return RedisValue(reply_.get()); }

 private:
  struct Free {
    void operator()(redisReply* reply) const noexcept;
  };
  std::unique_ptr<redisReply, Free> reply_;
};

// Appends one command in the Redis protocol (RESP) to `out`.
void append_command(std::string& out, std::span<const std::string_view> args);

class RedisClient {
 public:
  // Connects (within `timeout`, which also bounds each reply) and authenticates. Throws
  // RedisError: "cannot connect to redis://...: Connection refused", or the AUTH refusal.
  explicit RedisClient(RedisAddress address,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  ~RedisClient();
  RedisClient(RedisClient&&) noexcept;
  RedisClient& operator=(RedisClient&&) noexcept;

  // Sends one command and waits for its reply. An error reply is returned, not thrown.
  RedisReply command(std::span<const std::string_view> args);
  RedisReply command(std::initializer_list<std::string_view> args) {
    return command(std::span<const std::string_view>(args.begin(), args.size()));
  }
  // Pipelining: append() queues a command; reply() sends what is queued and reads the next
  // reply, in order.
  void append(std::span<const std::string_view> args);
  // Queues commands already in the protocol's form (append_command() writes one), without
  // hiredis formatting each: a sink's pipeline of thousands.
  void append_formatted(std::string_view commands);
  RedisReply reply();
  // Throws RedisError naming `what` and the server when `reply` is an error reply.
  void expect_ok(const RedisValue& reply, std::string_view what) const;

  [[nodiscard]] const RedisAddress& address() const noexcept { return address_; }

 private:
  [[noreturn]] void fail_io(std::string_view what) const;
  RedisAddress address_;
  std::unique_ptr<redisContext, void (*)(redisContext*)> context_;
};

}  // namespace sw
