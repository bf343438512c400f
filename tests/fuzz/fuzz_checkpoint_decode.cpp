// libFuzzer target: what recovery reads from a checkpoint directory — checked files of each
// kind and the manifest inside one — of arbitrary bytes.
#include <cstdint>
#include <streamweave/serde/checked_file.hpp>
#include <streamweave/serde/checkpoint_manifest.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const sw::Bytes input =
      sw::Bytes::copy_of(std::span(reinterpret_cast<const std::byte*>(data), size));
  for (const sw::FileKind kind : {sw::FileKind::operator_state, sw::FileKind::manifest}) {
    try {
      const sw::Bytes payload = sw::checked_payload(input, kind, "fuzz");
      if (kind == sw::FileKind::manifest) (void)sw::parse_manifest(payload, "fuzz");
    } catch (const sw::DecodeError&) {
    }
  }
  try {
    const sw::CheckpointManifest manifest = sw::parse_manifest(input, "fuzz");
    // What parses must encode back to the same bytes: nothing is read twice or skipped.
    if (sw::encode_manifest(manifest).as_string_view() != input.as_string_view()) {
      __builtin_trap();
    }
  } catch (const sw::DecodeError&) {
  }
  return 0;
}
