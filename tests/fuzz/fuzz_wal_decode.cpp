// libFuzzer target: a write-ahead log segment of arbitrary bytes, as recovery reads it — as
// the log's last segment (a damaged record ends it) and as an earlier one (it is an error).
#include <cstdint>
#include <streamweave/serde/checked_file.hpp>
#include <streamweave/serde/write_ahead_log.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span input(reinterpret_cast<const std::byte*>(data), size);
  for (const bool last : {true, false}) {
    try {
      const sw::WalSegmentView view = sw::parse_wal_segment(input, "fuzz", last);
      // Every record found lies inside the segment, in order, after the one before (padding
      // may lie between them).
      std::size_t at = sw::kWalHeaderBytes;
      for (const auto& [offset, length] : view.records) {
        if (offset < at + sw::kWalRecordHeaderBytes || offset + length > size) __builtin_trap();
        at = offset + length;
      }
      if (view.end < at || view.end > size || (view.torn && !last)) __builtin_trap();
    } catch (const sw::DecodeError&) {
    }
  }
  return 0;
}
