// The write-ahead log against a plain sequential write of the same bytes on the same disk.
// Each round writes --mib MiB as records of --record bytes, committed every --group records
// (one fdatasync), through WalWriter; then the same bytes with write() and an fdatasync at
// the same cadence (what `dd oflag=dsync` does with that block size). Prints MB/s of both,
// their ratio, and the P50/P99 latency of one append including its commit (when --group 1).
//   wal_rate [--dir DIR] [--mib 256] [--record 65536] [--group 1] [--rounds 3]
//            [--plain-offset 0]
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <streamweave/serde/write_ahead_log.hpp>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Result {
  double seconds = 0;
  std::vector<double> append_us;  // per append, its commit included when due
};

Result write_log(const std::filesystem::path& dir, const std::vector<std::byte>& record,
                 std::size_t records, std::size_t group) {
  std::filesystem::remove_all(dir);
  Result r;
  r.append_us.reserve(records);
  const auto start = Clock::now();
  {
    sw::WalWriter wal(dir);
    for (std::size_t i = 0; i < records; ++i) {
      const auto t = Clock::now();
      (void)wal.append(record);
      if ((i + 1) % group == 0) wal.commit();
      r.append_us.push_back(seconds_since(t) * 1e6);
    }
    wal.commit();
  }
  r.seconds = seconds_since(start);
  return r;
}

// `offset`: where in the file the writes start (0: as dd writes them).
Result write_plain(const std::filesystem::path& file, const std::vector<std::byte>& record,
                   std::size_t records, std::size_t group, std::size_t offset) {
  std::filesystem::remove(file);
  Result r;
  const auto start = Clock::now();
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + file.string());
  for (std::size_t i = 0; i < records; ++i) {
    const auto at = static_cast<off_t>(offset + i * record.size());
    if (::pwrite(fd, record.data(), record.size(), at) != static_cast<ssize_t>(record.size())) {
      throw std::runtime_error("write failed on " + file.string());
    }
    if ((i + 1) % group == 0) (void)::fdatasync(fd);
  }
  (void)::fdatasync(fd);
  ::close(fd);
  r.seconds = seconds_since(start);
  return r;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  const auto at = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(at), v.end());
  return v[at];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"write-ahead log append rate against a plain sequential write"};
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = tmp != nullptr ? tmp : "/tmp";
  std::size_t mib = 256;
  std::size_t record_bytes = 64 * 1024;
  std::size_t group = 1;
  int rounds = 3;
  std::size_t plain_offset = 0;
  app.add_option("--dir", dir, "where to write (the disk measured)")->capture_default_str();
  app.add_option("--mib", mib, "MiB written per round")->capture_default_str();
  app.add_option("--record", record_bytes, "bytes per record")->capture_default_str();
  app.add_option("--group", group, "records per commit (fdatasync)")->capture_default_str();
  app.add_option("--rounds", rounds, "rounds, WAL and plain (which first alternates)")
      ->capture_default_str();
  app.add_option("--plain-offset", plain_offset,
                 "the plain write starts this many bytes into its file (0: as dd); the disk may "
                 "favour writes aligned to large units, which a log's records are not")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  group = std::max<std::size_t>(1, group);
  const std::size_t records = std::max<std::size_t>(1, (mib << 20) / record_bytes);
  std::vector<std::byte> record(record_bytes);
  for (std::size_t i = 0; i < record.size(); ++i) record[i] = static_cast<std::byte>(i * 131);
  const std::filesystem::path root = std::filesystem::path(dir) / "streamweave-wal-rate";
  std::filesystem::create_directories(root);
  const double mb = static_cast<double>(records * record_bytes) / 1e6;
  for (int round = 1; round <= rounds; ++round) {
    // Alternating which goes first: the second finds the page cache the first filled.
    Result wal;
    Result plain;
    if (round % 2 == 1) {
      wal = write_log(root / "wal", record, records, group);
      plain = write_plain(root / "plain", record, records, group, plain_offset);
    } else {
      plain = write_plain(root / "plain", record, records, group, plain_offset);
      wal = write_log(root / "wal", record, records, group);
    }
    fmt::print(
        "round {}: {} records of {} B, commit every {}: wal {:.0f} MB/s, plain write {:.0f} "
        "MB/s, ratio {:.3f}; append+commit p50 {:.1f} us, p99 {:.1f} us\n",
        round, records, record_bytes, group, mb / wal.seconds, mb / plain.seconds,
        plain.seconds / wal.seconds, percentile(wal.append_us, 50), percentile(wal.append_us, 99));
  }
  std::filesystem::remove_all(root);
  return 0;
}
