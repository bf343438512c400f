#include "streamweave/operators/redis_stream.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <optional>
#include <vector>

#include "redis_stream_uri.hpp"
#include "streamweave/operators/io/redis_client.hpp"
#include "streamweave/serde/binary.hpp"
#include "streamweave/serde/str_arena.hpp"

namespace sw {

namespace {
using detail::parse_stream_uri;
using detail::StreamUri;

// A stream entry ID, ms-seq, compared as numbers.
struct EntryId {
  std::uint64_t ms = 0;
  std::uint64_t seq = 0;
  auto operator<=>(const EntryId&) const = default;

  static std::optional<EntryId> parse(std::string_view text) {
    EntryId id;
    const std::size_t dash = text.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    const char* end = text.data() + text.size();
    if (std::from_chars(text.data(), text.data() + dash, id.ms).ptr != text.data() + dash ||
        std::from_chars(text.data() + dash + 1, end, id.seq).ptr != end) {
      return std::nullopt;
    }
    return id;
  }
  [[nodiscard]] std::string text() const { return std::to_string(ms) + "-" + std::to_string(seq); }
};

// The consumer `name` = "<prefix>-<k>": k, if it is one of ours.
std::optional<unsigned> consumer_index(std::string_view name, std::string_view prefix) {
  if (name.size() <= prefix.size() + 1 || !name.starts_with(prefix) || name[prefix.size()] != '-') {
    return std::nullopt;
  }
  unsigned k = 0;
  const std::string_view digits = name.substr(prefix.size() + 1);
  const char* end = digits.data() + digits.size();
  if (std::from_chars(digits.data(), end, k).ptr != end) return std::nullopt;
  return k;
}

// One source instance: reads as consumer "<prefix>-<instance>", and after a restore (or a
// crash before any checkpoint) first goes through the pending entries of the consumers it
// takes over.
class RedisSource final : public SourceBase<Str> {
 public:
  RedisSource(const InstanceContext& ctx, StreamUri uri, const RedisSourceOptions& options)
      : SourceBase<Str>(ctx),
        uri_(std::move(uri)),
        options_(options),
        me_(uri_.consumer + "-" + std::to_string(ctx.instance)),
        arena_(ctx.pools->buffer_pool()),
        backoff_(options.retry_for) {}

  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return Checkpointing::saves_state;
  }
  // (consumer, last entry emitted) for each consumer this instance read; the entries
  // emitted since the last barrier are acknowledged when this checkpoint completes.
  void snapshot(StateWriter& state) override {
    auto& ids = unacked_[state.checkpoint()];
    ids.insert(ids.end(), emitted_.begin(), emitted_.end());
    emitted_.clear();
    std::vector<std::pair<std::string, std::string>> last;
    for (const auto& [consumer, id] : last_emitted_) last.emplace_back(consumer, id.text());
    state.value(last);
  }
  void restore(StateReader& state) override {
    for (const Bytes& saved : state.all_values()) {
      if (saved.empty()) continue;
      BinaryReader values(saved);
      for (auto& [consumer, id] : values.read<std::vector<std::pair<std::string, std::string>>>()) {
        const std::optional<unsigned> k = consumer_index(consumer, uri_.consumer);
        const std::optional<EntryId> at = EntryId::parse(id);
        if (!k || !at || *k % ctx_.parallelism != ctx_.instance) continue;
        covered_[consumer] = *at;
        last_emitted_[consumer] = *at;  // saved again by the next checkpoint, read or not
      }
    }
  }
  void on_checkpoint_complete(std::uint64_t id) override {
    for (auto it = unacked_.begin(); it != unacked_.end();) {
      if (it->first != 0 && it->first > id) {
        ++it;
        continue;
      }
      ack_later_.insert(ack_later_.end(), it->second.begin(), it->second.end());
      it = unacked_.erase(it);
    }
    guarded(position_, [&] {
      try {
        if (client_) flush_acks();
      } catch (const RedisError& e) {
        if (!e.io()) throw;
        client_.reset();  // acknowledged after the reconnection
      }
    });
  }

 protected:
  bool on_produce(std::size_t max_items) override {
    return guarded(position_, [&] {
      try {
        if (!client_) connect();
        flush_acks();
        const bool more = read(max_items);
        backoff_.succeeded();
        return more;
      } catch (const RedisError& e) {
        if (!e.io()) throw;
        return lost(e);
      }
    });
  }

 private:
  // Connects, creates the group if new, and, the first time, lists the consumers to take over.
  void connect() {
    client_.emplace(uri_.address, options_.timeout);
    const RedisReply created =
        client_->command({"XGROUP", "CREATE", uri_.stream, uri_.group, "0", "MKSTREAM"});
    if (created.value().is_error() && !created.value().str().starts_with("BUSYGROUP")) {
      client_->expect_ok(created.value(), "XGROUP CREATE " + uri_.group);
    }
    if (!connected_once_) take_over_consumers();
    connected_once_ = true;
  }

  // The consumers of this instance's share with entries still pending: its own, and those of
  // instances a restart on fewer instances left behind. Their pending entries are read first.
  void take_over_consumers() {
    const RedisReply info = client_->command({"XINFO", "CONSUMERS", uri_.stream, uri_.group});
    client_->expect_ok(info.value(), "XINFO CONSUMERS");
    for (std::size_t c = 0; c < info.value().size(); ++c) {
      const RedisValue fields = info.value()[c];
      for (std::size_t f = 0; f + 1 < fields.size(); f += 2) {
        if (fields[f].str() != "name") continue;
        const std::string name(fields[f + 1].str());
        const std::optional<unsigned> k = consumer_index(name, uri_.consumer);
        if (k && *k % ctx_.parallelism == ctx_.instance) covered_.try_emplace(name, EntryId{});
      }
    }
    for (const auto& [consumer, at] : covered_) recovering_.push_back({consumer, at, EntryId{}});
  }

  // A lost connection: retried with backoff until retry_for has passed since the first loss.
  bool lost(const RedisError& e) {
    client_.reset();
    if (!connected_once_) throw;  // down at start: say so at once
    const Clock::time_point now = Clock::now();
    const std::optional<std::chrono::milliseconds> delay = backoff_.next(now);
    if (!delay) throw RedisError(e.what() + backoff_.gave_up(), true);
    nothing_until(now + *delay);
    return true;
  }

  bool read(std::size_t max_items) {
    const std::string count = std::to_string(std::max<std::size_t>(max_items, 1));
    const bool pending = !recovering_.empty();
    const std::string consumer = pending ? recovering_.front().consumer : me_;
    const std::string after = pending ? recovering_.front().after.text() : ">";
    const RedisReply reply = client_->command({"XREADGROUP", "GROUP", uri_.group, consumer, "COUNT",
                                               count, "STREAMS", uri_.stream, after});
    const RedisValue streams = reply.value();
    client_->expect_ok(streams, "XREADGROUP");
    // [[stream, [entry, ...]]], or nil when nothing is new.
    if (!streams.is_array() || streams.size() != 1 || streams[0][1].size() == 0) {
      return nothing_read(pending);
    }
    poll_ = std::chrono::milliseconds(1);
    const RedisValue entries = streams[0][1];
    std::optional<EntryId> last;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (const std::optional<EntryId> emitted = take(entries[i], pending)) last = emitted;
    }
    if (last) last_emitted_[consumer] = *last;
    return true;
  }

  bool nothing_read(bool pending) {
    if (pending) {  // that consumer's pending entries are all read
      recovering_.erase(recovering_.begin());
      return true;
    }
    if (uri_.drain) return false;
    nothing_until(Clock::now() + poll_);
    poll_ = std::min(poll_ * 2, options_.max_poll_interval);
    return true;
  }

  // One entry [id, [field, value, ...]]; returns its ID when it was emitted (or skipped as
  // malformed). A pending entry the restored checkpoint covered is acknowledged, not emitted
  // again. Without checkpoints an entry is acknowledged at the next read.
  std::optional<EntryId> take(const RedisValue& entry, bool pending) {
    const std::string id(entry[0].str());
    const std::optional<EntryId> parsed = EntryId::parse(id);
    if (pending) {
      Recovering& r = recovering_.front();
      if (parsed) r.after = *parsed;
      if (parsed && *parsed <= r.covered) {
        ack_later_.push_back(id);
        return std::nullopt;
      }
    }
    (ctx_.checkpointed ? emitted_ : ack_later_).push_back(id);
    const RedisValue fields = entry[1];
    for (std::size_t f = 0; f + 1 < fields.size(); f += 2) {
      if (fields[f].str() == uri_.field) {
        ++position_;
        emit(arena_.copy(fields[f + 1].str()));
        return parsed;
      }
    }
    malformed(id);
    return parsed;
  }

  void malformed(const std::string& id) {
    std::string message =
        "entry " + id + " of " + uri_.address.uri() + " has no field '" + uri_.field + "'";
    const std::uint64_t at = position_++;
    if (!uri_.skip_malformed) throw std::runtime_error(message);
    detail::skip_error(ctx_, metrics_, at, std::move(message));
  }

  void flush_acks() {
    constexpr std::size_t kPerCommand = 1024;
    std::size_t sent = 0;
    std::vector<std::string_view> args;
    while (sent < ack_later_.size()) {
      const std::size_t n = std::min(kPerCommand, ack_later_.size() - sent);
      args.assign({"XACK", uri_.stream, uri_.group});
      for (std::size_t i = 0; i < n; ++i) args.push_back(ack_later_[sent + i]);
      const RedisReply reply = client_->command(args);
      client_->expect_ok(reply.value(), "XACK");
      sent += n;
    }
    ack_later_.clear();
  }

  struct Recovering {
    std::string consumer;
    EntryId covered;  // what the checkpoint restored from had processed
    EntryId after;    // where the next read of its pending entries starts
  };

  StreamUri uri_;
  RedisSourceOptions options_;
  std::string me_;
  StrArena arena_;
  std::optional<RedisClient> client_;
  bool connected_once_ = false;
  detail::RetryBackoff backoff_;
  std::chrono::milliseconds poll_{1};
  std::map<std::string, EntryId> covered_;       // restored: consumer -> last processed
  std::vector<Recovering> recovering_;           // consumers whose pending entries are next
  std::map<std::string, EntryId> last_emitted_;  // per consumer read
  std::vector<std::string> emitted_;             // since the last barrier
  std::map<std::uint64_t, std::vector<std::string>> unacked_;  // by checkpoint (0: the final)
  std::vector<std::string> ack_later_;                         // to acknowledge at the next chance
  std::uint64_t position_ = 0;
};

}  // namespace

namespace detail {

void check_redis_stream_uri(const std::string& uri) {
  (void)parse_stream_uri(uri);
}

std::unique_ptr<OperatorInstance> make_redis_source(const InstanceContext& ctx,
                                                    const std::string& uri,
                                                    const RedisSourceOptions& options) {
  return std::make_unique<RedisSource>(ctx, parse_stream_uri(uri), options);
}

}  // namespace detail

}  // namespace sw
