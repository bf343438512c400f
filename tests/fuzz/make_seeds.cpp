// Writes the seed corpus of the fuzz targets: valid encodings of varied records (run by
// scripts/fuzz.sh --seeds; the output is committed under tests/fuzz/corpus/).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <streamweave/serde/checked_file.hpp>
#include <streamweave/serde/checkpoint_manifest.hpp>
#include <streamweave/serde/checksum.hpp>
#include <streamweave/serde/control.hpp>
#include <streamweave/serde/frame.hpp>
#include <streamweave/serde/write_ahead_log.hpp>

#include "fuzz_types.hpp"

namespace {
void write(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

fuzz::Record record(int i) {
  fuzz::Record r;
  r.id = static_cast<std::uint64_t>(i) * 7919;
  r.price = -i * 31;
  r.ratio = i / 3.0;
  r.flag = i % 2 == 0;
  r.kind = static_cast<fuzz::Kind>(i % 3);
  r.text = std::string(static_cast<std::size_t>(i % 5), 'x') + "\"\\\n é";
  r.url = sw::Str("https://example.com/" + std::to_string(i));
  r.city = sw::Symbol(i % 2 ? "Paris" : "Lyon");
  r.numbers.assign(static_cast<std::size_t>(i % 4), i);
  for (int k = 0; k < i % 3; ++k) r.inners.push_back(fuzz::Inner{k, std::to_string(k)});
  r.pair = {static_cast<std::uint16_t>(i), 9};
  if (i % 2) r.maybe = fuzz::Inner{i, std::nullopt};
  return r;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
    return 2;
  }
  const std::filesystem::path root = argv[1];
  for (const char* target : {"binary", "checkpoint", "frame", "json", "wal"})
    std::filesystem::create_directories(root / target);
  for (int i = 0; i < 6; ++i) {
    fuzz::WireRecord w{
        record(i), {}, {static_cast<std::uint8_t>(i), sw::Bytes::copy_of(std::string_view("raw"))}};
    if (i % 4 == 1) w.either = i;
    if (i % 4 == 2) w.either = std::string("alt");
    if (i % 4 == 3) w.either = fuzz::Inner{i, "in"};
    write(root / "binary" / ("seed" + std::to_string(i)), sw::encode(w).as_string_view());
    write(root / "json" / ("seed" + std::to_string(i)), sw::to_json(record(i)));
    std::vector<fuzz::Record> batch;
    for (int k = 0; k <= i; ++k) batch.push_back(record(k));
    std::vector<sw::Bytes> frames;
    sw::FrameHeader h;
    h.edge = static_cast<std::uint32_t>(i);
    sw::encode_frames<fuzz::Record>(batch, h, frames);
    write(root / "frame" / ("seed" + std::to_string(i)), frames[0].as_string_view());
  }
  sw::FrameHeader watermark;
  watermark.edge = 1;
  watermark.sequence = 7;
  write(root / "frame" / "seed6",
        sw::make_watermark_frame(watermark, 1436918400000).as_string_view());
  write(root / "frame" / "seed11", sw::make_barrier_frame(watermark, 42).as_string_view());
  // A frame whose payload the sender left out of the checksum: the decoder meets payload
  // bytes that no checksum vetted.
  std::vector<fuzz::Record> batch;
  for (int k = 0; k < 4; ++k) batch.push_back(record(k));
  std::vector<sw::Bytes> frames;
  sw::FrameHeader unchecked;
  unchecked.flags = sw::kFramePayloadUnchecked;
  sw::encode_frames<fuzz::Record>(batch, unchecked, frames);
  write(root / "frame" / "seed7", frames[0].as_string_view());
  // Control messages travel with the frames: the same target parses them.
  write(root / "frame" / "seed8",
        sw::encode_control(sw::EndOfStreamMessage{3, 1}).as_string_view());
  write(root / "frame" / "seed9",
        sw::encode_control(sw::CreditMessage{{{0, 2}, {5, 16}}}).as_string_view());
  write(root / "frame" / "seed10",
        sw::encode_control(sw::AbortMessage{"node 'm' failed"}).as_string_view());
  write(root / "frame" / "seed12",
        sw::encode_control(
            sw::CheckpointAckMessage{
                7,
                {{"count", "reduce", 1, 2, 1, "n3-i1.state", 300, 7, 12, {2048, 4096}}},
                90,
                40,
                false,
                ""})
            .as_string_view());
  write(root / "frame" / "seed13",
        sw::encode_control(sw::CheckpointStartMessage{8, true, false}).as_string_view());
  // A manifest, bare and as the checked file it is written in.
  sw::CheckpointManifest manifest;
  manifest.id = 3;
  manifest.graph = "wordcount";
  manifest.key_groups = 4096;
  manifest.files.push_back({"count", "reduce", 1, 2, 0, "count-1.state", 300, 7, 12, {2048, 4096}});
  manifest.files.push_back(
      {"join", "join", 0, 2, 0, "join-0.inflight", 96, 9, 3, {}, sw::StateFileKind::in_flight});
  manifest.unaligned = true;
  manifest.snapshot_us = 250;
  const sw::Bytes payload = sw::encode_manifest(manifest);
  write(root / "checkpoint" / "seed0", payload.as_string_view());
  const std::filesystem::path checked = root / "checkpoint" / "seed1";
  sw::write_checked_file(checked, sw::FileKind::manifest, payload.span());
  // Write-ahead log segments: one with records and the zeros after them, one cut short.
  const std::filesystem::path wal = root / "wal" / "log";
  std::filesystem::remove_all(wal);
  {
    sw::WalWriter writer(wal, 4096);
    for (int i = 0; i < 5; ++i) (void)writer.append(payload.span().first(10 + 30 * i));
    writer.commit();
  }
  const std::filesystem::path segment = sw::wal_segments(wal).at(0);
  std::filesystem::copy_file(segment, root / "wal" / "seed0",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::resize_file(segment, 200);
  std::filesystem::copy_file(segment, root / "wal" / "seed1",
                             std::filesystem::copy_options::overwrite_existing);
  // One with padding between records, as a commit of many bytes leaves (made small by hand).
  {
    std::string file = read(root / "wal" / "seed0");
    const std::size_t first_record = sw::kWalHeaderBytes + sw::kWalRecordHeaderBytes + 10;
    std::string padding(sw::kWalRecordHeaderBytes + 24, '\0');
    const std::uint32_t length = 24 | sw::kWalPaddingFlag;
    std::memcpy(padding.data(), &length, 4);
    const std::uint32_t crc = sw::crc32c(std::as_bytes(std::span(padding.data(), 4)));
    std::memcpy(padding.data() + 4, &crc, 4);
    file.insert(first_record, padding);
    file.resize(4096);
    write(root / "wal" / "seed2", file);
  }
  std::filesystem::remove_all(wal);
  return 0;
}
