// Settings of distributed mode (docs/distributed.md): frames, credits, checksums, failure
// detection. Plain values; ignored in process.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

namespace sw {

// Which exchange frames checksum their payload (DistributedOptions::payload_checksum).
enum class PayloadChecksum : std::uint8_t {
  always,
  // Only frames to a rank on another machine: within a machine MPI moves frames through
  // shared memory, and frames within a rank are handed over in memory.
  between_hosts,
  never,
};

[[nodiscard]] constexpr const char* to_string(PayloadChecksum checksum) noexcept {
  switch (checksum) {
    case PayloadChecksum::always:
      return "always";
    case PayloadChecksum::between_hosts:
      return "between-hosts";
    case PayloadChecksum::never:
      return "never";
  }
  return "?";
}

// Settings of distributed mode (docs/distributed.md); ignored in process.
struct DistributedOptions {
  // A frame is closed once its payload reaches this many bytes (batches larger than that are
  // split); frames larger than max_frame_bytes are refused on both sides.
  std::size_t frame_bytes = 256u << 10;
  std::size_t max_frame_bytes = 8u << 20;
  // Frames one rank may have in flight on one channel (edge, consumer instance) before it
  // waits for the consumer to free buffers; 0: the node's channel capacity.
  std::size_t credits = 0;
  // Bytes and Str values of this many bytes and up cross to another rank without being copied
  // into the frame: MPI sends them from where they are (0: always copied). Within a rank every
  // value is copied into the frame, so each exchange edge still exercises its codec.
  std::size_t splice_bytes = 4u << 10;
  // With one worker thread per rank (RunOptions::threads, or the cores shared by the ranks on
  // a machine), the rank's tasks run on its communication thread, between its MPI calls,
  // instead of on a worker of their own: two busy threads on one core took turns several
  // times per frame. A task step holds the MPI calls back for at most about a millisecond;
  // set false for operators that block for longer. Ignored without mpirun (no such thread)
  // and when a machine has more ranks than hardware threads.
  bool tasks_on_comm_thread = true;
  // After its last progress (a message sent, received or completed, a task run), the
  // communication thread keeps polling MPI this long, yielding between polls, before it
  // backs off into short sleeps: a frame that arrives meanwhile is taken at once. Longer
  // costs idle CPU after each burst of traffic; 0 sleeps as soon as nothing is under way, as
  // it always does when a machine has more ranks than hardware threads.
  std::chrono::microseconds poll_window{500};
  // Which frames' checksums (CRC32C) cover their payload as well as their header; a payload
  // corrupted on the way is then an error naming the peer and the edge. The header is always
  // checksummed. Leaving payloads out (as Kafka's check.crcs=false does) saves taking the CRC
  // twice per frame, which shows between ranks of one machine (docs/benchmarks.md), but a
  // corrupted payload is then detected only if it no longer decodes. The sender decides per frame
  // (the frame says which); receivers read both.
  PayloadChecksum payload_checksum = PayloadChecksum::always;
  // Failure detection: every rank's communication thread sends each peer a heartbeat this
  // often, and a peer from which nothing has come for heartbeat_timeout is lost (SIGSTOP, a
  // hung host, a cut link — nothing mpirun notices): run() throws PeerLost naming its rank
  // and host. A pause shorter than the timeout (a slow host, a long GC) is not a failure.
  // 0 turns detection off.
  std::chrono::milliseconds heartbeat_interval{500};
  std::chrono::milliseconds heartbeat_timeout{5000};
  // Test hook: called on the sending rank's workers with each encoded frame (edge index, target
  // rank, the frame's bytes) before it leaves; it may change the bytes, to inject corruption.
  // While it is set, nothing is spliced (the hook sees every frame in one buffer).
  std::function<void(std::size_t edge, unsigned target_rank, std::span<std::byte> frame)>
      frame_hook{};
};

}  // namespace sw
