// StreamLog: the write-ahead log of a source that reads a stream it cannot read again (stdin,
// a pipe, a FIFO). Each batch read is appended to the log with the stream position after it
// and committed (one fdatasync for the batch: group commit) before it enters the graph. A
// checkpoint saves the log position after the last batch that entered; a run restored from
// it replays the batches after that position from the log — as slices of its mapping, not
// copied — and then reads on from the stream, which must be given from the position after
// the last batch logged (logged_stream_end). Segments that no kept checkpoint needs are
// removed as checkpoints complete.
//
// Each log record: stream offset u64, stream line u64 (after the batch), then the batch's
// records as a vector of strings in the binary codec. Belongs to the source instance's task.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "streamweave/engine/batch.hpp"
#include "streamweave/operators/io/record_reader.hpp"
#include "streamweave/serde/str.hpp"
#include "streamweave/serde/write_ahead_log.hpp"

namespace sw::detail {

class StreamLog {
 public:
  // The log in `dir`; `kept`: how many complete checkpoints are kept (what only older ones
  // need is removed). Opens nothing yet.
  StreamLog(std::string dir, unsigned kept);
  StreamLog(const StreamLog&) = delete;
  StreamLog& operator=(const StreamLog&) = delete;
  ~StreamLog();

  // The run restores from a checkpoint that saved these: replay from `position`; the stream
  // was at `stream` then. Before anything else; a run that never calls it starts the log
  // afresh (the batches of an earlier run are dropped).
  void restore(std::uint64_t position, StreamPosition stream);
  // Where the input of a restored run begins in the stream: after the last batch in the log.
  // Opens the log.
  [[nodiscard]] StreamPosition resume_at();

  // The next batch to replay into `out` (slices of the log's mapping); false when replay is
  // over (then read the stream). Throws CorruptFile naming the segment and byte.
  bool replay(BatchItems<Str>& out);
  // Logs a batch just read, the stream at `after` behind it; durable when it returns.
  void append(std::span<const Str> items, StreamPosition after);

  // What a checkpoint saves: the position after the last batch that entered the graph, and
  // the stream's position there. Remembered for `checkpoint` (StateWriter::checkpoint()).
  [[nodiscard]] std::pair<std::uint64_t, StreamPosition> snapshot(std::uint64_t checkpoint);
  // Checkpoint `id` completed: drops segments no kept checkpoint needs.
  void completed(std::uint64_t id);

  // The stream position after the last batch logged in `dir` ({0, 1} when none): where a
  // restarted run's input must begin. Throws CorruptFile as WalReader does.
  [[nodiscard]] static StreamPosition logged_stream_end(const std::string& dir);
  // The bytes of a torn record at the end of the log in `dir` (a crash in the middle of an
  // append), which the next run that opens the log cuts off; 0 when it ends cleanly. Throws
  // CorruptFile as WalReader does.
  [[nodiscard]] static std::uint64_t torn_bytes_at_end(const std::string& dir);

 private:
  void open();

  std::string dir_;
  unsigned kept_;
  std::unique_ptr<WalWriter> writer_;
  std::optional<WalReader> replay_;
  std::optional<std::uint64_t> restored_;
  std::uint64_t position_ = 0;                    // after the last batch that entered the graph
  StreamPosition stream_;                         // the stream there
  std::map<std::uint64_t, std::uint64_t> taken_;  // checkpoint -> position it saved
  std::deque<std::uint64_t> completed_;           // positions of this run's complete ones
  BytesMut scratch_;
  std::vector<Splice> splices_;
  std::vector<std::span<const std::byte>> pieces_;  // of the record being appended
};

}  // namespace sw::detail
