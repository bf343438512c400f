#include "streamweave/operators/io/redis_client.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <charconv>
#include <vector>

namespace sw {

namespace {

timeval to_timeval(std::chrono::milliseconds timeout) noexcept {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  return tv;
}

}  // namespace

bool RedisValue::is_nil() const noexcept {
  return reply_->type == REDIS_REPLY_NIL;
}
bool RedisValue::is_error() const noexcept {
  return reply_->type == REDIS_REPLY_ERROR;
}
bool RedisValue::is_array() const noexcept {
  return reply_->type == REDIS_REPLY_ARRAY;
}
bool RedisValue::is_string() const noexcept {
  return reply_->type == REDIS_REPLY_STRING || reply_->type == REDIS_REPLY_STATUS;
}
bool RedisValue::is_integer() const noexcept {
  return reply_->type == REDIS_REPLY_INTEGER;
}
std::string_view RedisValue::str() const noexcept {
  return reply_->str == nullptr ? std::string_view() : std::string_view(reply_->str, reply_->len);
}
long long RedisValue::integer() const noexcept {
  return reply_->integer;
}
std::size_t RedisValue::size() const noexcept {
  return is_array() ? reply_->elements : 0;
}
RedisValue RedisValue::operator[](std::size_t i) const noexcept {
  return RedisValue(reply_->element[i]);
}

void RedisReply::Free::operator()(redisReply* reply) const noexcept {
  freeReplyObject(reply);
}

RedisClient::RedisClient(RedisAddress address, std::chrono::milliseconds timeout)
    : address_(std::move(address)), context_(nullptr, redisFree) {
  const timeval tv = to_timeval(timeout);
  context_.reset(redisConnectWithTimeout(address_.host.c_str(), address_.port, tv));
  if (!context_) throw RedisError("cannot connect to " + address_.uri() + ": out of memory", true);
  if (context_->err != 0) fail_io("cannot connect to");
  if (redisSetTimeout(context_.get(), tv) != REDIS_OK) fail_io("cannot set a timeout on");
  if (address_.password.empty()) return;
  std::vector<std::string_view> auth{"AUTH"};
  if (!address_.user.empty()) auth.push_back(address_.user);
  auth.push_back(address_.password);
  const RedisReply reply = command(auth);
  if (reply.value().is_error()) {
    throw RedisError(
        "authentication to " + address_.uri() + " failed: " + std::string(reply.value().str()),
        false);
  }
}

RedisClient::~RedisClient() = default;
RedisClient::RedisClient(RedisClient&&) noexcept = default;
RedisClient& RedisClient::operator=(RedisClient&&) noexcept = default;

void RedisClient::fail_io(std::string_view what) const {
  const std::string why = context_->err == REDIS_ERR_EOF ? "the server closed the connection"
                                                         : std::string(context_->errstr);
  throw RedisError(std::string(what) + " " + address_.uri() + ": " + why, true);
}

void RedisClient::append(std::span<const std::string_view> args) {
  constexpr std::size_t kOnStack = 16;
  const char* small_argv[kOnStack];
  std::size_t small_len[kOnStack];
  std::vector<const char*> argv;
  std::vector<std::size_t> len;
  const char** a = small_argv;
  std::size_t* l = small_len;
  if (args.size() > kOnStack) {
    argv.resize(args.size());
    len.resize(args.size());
    a = argv.data();
    l = len.data();
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    a[i] = args[i].data();
    l[i] = args[i].size();
  }
  if (redisAppendCommandArgv(context_.get(), static_cast<int>(args.size()), a, l) != REDIS_OK) {
    fail_io("cannot send to");
  }
}

void append_command(std::string& out, std::span<const std::string_view> args) {
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (const std::string_view arg : args) {
    out += '$';
    out += std::to_string(arg.size());
    out += "\r\n";
    out += arg;
    out += "\r\n";
  }
}

void RedisClient::append_formatted(std::string_view commands) {
  if (redisAppendFormattedCommand(context_.get(), commands.data(), commands.size()) != REDIS_OK) {
    fail_io("cannot send to");
  }
}

RedisReply RedisClient::reply() {
  void* raw = nullptr;
  if (redisGetReply(context_.get(), &raw) != REDIS_OK || raw == nullptr) fail_io("lost");
  return RedisReply(static_cast<redisReply*>(raw));
}

RedisReply RedisClient::command(std::span<const std::string_view> args) {
  append(args);
  return reply();
}

void RedisClient::expect_ok(const RedisValue& reply, std::string_view what) const {
  if (reply.is_error()) {
    throw RedisError(
        address_.uri() + ": " + std::string(what) + " failed: " + std::string(reply.str()), false);
  }
}

}  // namespace sw
