#include <algorithm>
#include <thread>
#include <vector>

#include "epoch_outbox.hpp"
#include "redis_stream_uri.hpp"
#include "streamweave/operators/io/redis_client.hpp"
#include "streamweave/operators/redis_stream.hpp"
#include "streamweave/serde/binary.hpp"

namespace sw::detail {

namespace {

// Appends ARGV[5..] to KEYS[1] with XADD, and records "epoch:chunk" under ARGV[1] in the
// progress hash KEYS[2], in one atomic step; a chunk at or before the recorded one is
// skipped. Returns the entries added.
constexpr std::string_view kCommitScript = R"lua(
local done = redis.call('HGET', KEYS[2], ARGV[1])
local epoch, chunk = tonumber(ARGV[2]), tonumber(ARGV[3])
if done then
  local e, c = string.match(done, '^(%d+):(%d+)$')
  e, c = tonumber(e), tonumber(c)
  if e > epoch or (e == epoch and c >= chunk) then return 0 end
end
for i = 5, #ARGV do redis.call('XADD', KEYS[1], '*', ARGV[4], ARGV[i]) end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
return #ARGV - 4
)lua";

constexpr std::size_t kChunk = 1000;
constexpr std::chrono::milliseconds kRetryFor{30'000};

}  // namespace

struct RedisStreamWriter::State {
  explicit State(const InstanceContext& context, const std::string& text)
      : uri(parse_stream_uri(text)), ctx(context), outbox(context) {}
  StreamUri uri;
  InstanceContext ctx;
  EpochOutbox outbox;  // checkpoints: this epoch's entries, and sealed ones
  std::optional<RedisClient> client;
  std::string pipeline;       // no checkpoints: the batch's XADDs, in the protocol's form
  std::size_t pipelined = 0;  // ... how many
  bool finished = false;

  RedisClient& connected() {
    if (!client) client.emplace(uri.address);
    return *client;
  }

  // Without checkpoints: sends the batch's XADDs as one pipeline, then reads the replies.
  void write_pipeline() {
    if (pipelined == 0) return;
    RedisClient& c = connected();
    c.append_formatted(pipeline);
    for (; pipelined > 0; --pipelined) c.expect_ok(c.reply().value(), "XADD");
    pipeline.clear();
  }

  // Commits `e` chunk by chunk; a lost server is reconnected with backoff (the script makes
  // a repeated chunk a no-op) for up to 30 s.
  void commit(const HeldEpoch& e) {
    const std::string progress = uri.stream + ":streamweave-progress";
    const std::string epoch_text = std::to_string(e.number);
    RetryBackoff backoff(kRetryFor);
    for (std::size_t chunk = 0; chunk * kChunk < std::max<std::size_t>(e.size(), 1);) {
      try {
        commit_chunk(e, chunk, progress, epoch_text);
        ++chunk;
        backoff.succeeded();
      } catch (const RedisError& error) {
        if (!error.io()) throw;
        client.reset();
        const std::optional<std::chrono::milliseconds> delay = backoff.next(Clock::now());
        if (!delay) throw;
        std::this_thread::sleep_for(*delay);
      }
    }
  }

  void commit_chunk(const HeldEpoch& e, std::size_t chunk, const std::string& progress,
                    const std::string& epoch_text) {
    const std::string chunk_text = std::to_string(chunk);
    std::vector<std::string_view> args{"EVAL",   kCommitScript, "2",        uri.stream, progress,
                                       e.origin, epoch_text,    chunk_text, uri.field};
    const std::size_t first = chunk * kChunk;
    const std::size_t last = std::min(e.size(), first + kChunk);
    for (std::size_t i = first; i < last; ++i) args.push_back(e.entry(i));
    RedisClient& c = connected();
    c.expect_ok(c.command(args).value(), "committing checkpointed entries");
  }
};

RedisStreamWriter::RedisStreamWriter(const InstanceContext& ctx, const std::string& uri)
    : state_(std::make_unique<State>(ctx, uri)) {}

RedisStreamWriter::~RedisStreamWriter() = default;

void RedisStreamWriter::open() {
  (void)state_->connected();
}

void RedisStreamWriter::add(std::string_view value) {
  State& s = *state_;
  if (s.ctx.checkpointed) {
    s.outbox.add(value);
    return;
  }
  const std::array<std::string_view, 5> args{"XADD", s.uri.stream, "*", s.uri.field, value};
  append_command(s.pipeline, args);
  ++s.pipelined;
}

void RedisStreamWriter::end_of_batch() {
  if (!state_->ctx.checkpointed) state_->write_pipeline();
}

void RedisStreamWriter::finish() {
  state_->finished = true;
  if (!state_->ctx.checkpointed) state_->write_pipeline();
}

void RedisStreamWriter::snapshot(StateWriter& state) {
  state_->outbox.snapshot(state);
}

void RedisStreamWriter::restore(StateReader& state) {
  state_->outbox.restore(state);
}

void RedisStreamWriter::on_checkpoint_complete(std::uint64_t id) {
  State& s = *state_;
  s.outbox.commit_due(id, s.finished, [&](const HeldEpoch& e) { s.commit(e); });
}

}  // namespace sw::detail
