#include <algorithm>
#include <thread>
#include <vector>

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

// Entries held for one epoch (the items between two barriers of one instance), committed
// when the checkpoint after them completes. What a checkpoint saves of them.
struct Epoch {
  std::string origin;  // "node/instance" of the instance that took them (a key in the hash)
  std::uint64_t number = 0;
  std::vector<std::string> values;
};

struct Sealed {
  Epoch epoch;
  std::uint64_t checkpoint = 0;  // 0: the final checkpoint
  bool ready = false;            // restored: its checkpoint completed before the restart
};

}  // namespace

struct RedisStreamWriter::State {
  StreamUri uri;
  InstanceContext ctx;
  std::string origin;
  std::optional<RedisClient> client;
  std::vector<std::string> held;  // checkpoints: this epoch's entries
  std::string pipeline;           // no checkpoints: the batch's XADDs, in the protocol's form
  std::size_t pipelined = 0;      // ... how many
  std::uint64_t epoch = 0;        // barriers this instance passed (restored: the most saved)
  std::vector<Sealed> sealed;
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

  // Commits `s` chunk by chunk; a lost server is reconnected with backoff (the script makes
  // a repeated chunk a no-op) for up to 30 s.
  void commit(const Sealed& s) {
    const std::string progress = uri.stream + ":streamweave-progress";
    const std::string epoch_text = std::to_string(s.epoch.number);
    RetryBackoff backoff(kRetryFor);
    for (std::size_t chunk = 0; chunk * kChunk < std::max<std::size_t>(s.epoch.values.size(), 1);) {
      try {
        commit_chunk(s, chunk, progress, epoch_text);
        ++chunk;
        backoff.succeeded();
      } catch (const RedisError& e) {
        if (!e.io()) throw;
        client.reset();
        const std::optional<std::chrono::milliseconds> delay = backoff.next(Clock::now());
        if (!delay) throw;
        std::this_thread::sleep_for(*delay);
      }
    }
  }

  void commit_chunk(const Sealed& s, std::size_t chunk, const std::string& progress,
                    const std::string& epoch_text) {
    const std::string chunk_text = std::to_string(chunk);
    const Epoch& e = s.epoch;
    std::vector<std::string_view> args{"EVAL",   kCommitScript, "2",        uri.stream, progress,
                                       e.origin, epoch_text,    chunk_text, uri.field};
    const std::size_t first = chunk * kChunk;
    const std::size_t last = std::min(e.values.size(), first + kChunk);
    for (std::size_t i = first; i < last; ++i) args.push_back(e.values[i]);
    RedisClient& c = connected();
    c.expect_ok(c.command(args).value(), "committing checkpointed entries");
  }
};

RedisStreamWriter::RedisStreamWriter(const InstanceContext& ctx, const std::string& uri)
    : state_(std::make_unique<State>()) {
  state_->uri = parse_stream_uri(uri);
  state_->ctx = ctx;
  state_->origin = *ctx.node + "/" + std::to_string(ctx.instance);
}

RedisStreamWriter::~RedisStreamWriter() = default;

void RedisStreamWriter::add(std::string_view value) {
  State& s = *state_;
  if (s.ctx.checkpointed) {
    s.held.emplace_back(value);
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
  State& s = *state_;
  s.sealed.push_back(Sealed{Epoch{s.origin, ++s.epoch, std::move(s.held)}, state.checkpoint()});
  s.held.clear();
  state.value(s.epoch);
  state.value(static_cast<std::uint64_t>(s.sealed.size()));
  for (const Sealed& sealed : s.sealed) state.value(sealed.epoch);
}

// Each old instance's epoch and the entries it held sealed; this instance commits those of
// the old instances j with j % parallelism == its own, as soon as it can (their checkpoint
// completed: the run restored from it).
void RedisStreamWriter::restore(StateReader& state) {
  State& s = *state_;
  const std::vector<Bytes> saved = state.all_values();
  for (std::size_t j = 0; j < saved.size(); ++j) {
    if (saved[j].empty()) continue;
    BinaryReader in(saved[j]);
    s.epoch = std::max(s.epoch, in.read<std::uint64_t>());
    const auto n = in.read<std::uint64_t>();
    for (std::uint64_t i = 0; i < n; ++i) {
      Sealed sealed{in.read<Epoch>(), 0, true};
      // Same layout: this instance's own state, the only one given.
      if (state.same_layout() || j % s.ctx.parallelism == s.ctx.instance) {
        s.sealed.push_back(std::move(sealed));
      }
    }
  }
}

// Commits what the checkpoint covers: its epochs and older ones, restored ones, and after
// the end of the input the final one.
void RedisStreamWriter::on_checkpoint_complete(std::uint64_t id) {
  State& s = *state_;
  auto due = [&](const Sealed& sealed) {
    return sealed.ready || (sealed.checkpoint != 0 && sealed.checkpoint <= id) ||
           (sealed.checkpoint == 0 && s.finished);
  };
  while (!s.sealed.empty() && due(s.sealed.front())) {
    s.commit(s.sealed.front());
    s.sealed.erase(s.sealed.begin());
  }
}

}  // namespace sw::detail
