#include "streamweave/serde/checkpoint_manifest.hpp"

#include "streamweave/serde/binary.hpp"
#include "streamweave/serde/checked_file.hpp"

namespace sw {

Bytes encode_manifest(const CheckpointManifest& manifest) {
  return encode(manifest);
}

CheckpointManifest parse_manifest(const Bytes& payload, const std::filesystem::path& path) {
  try {
    return decode<CheckpointManifest>(payload);
  } catch (const CorruptFile&) {
    throw;
  } catch (const DecodeError& e) {
    // The codec names the field's type and its offset in the payload; the file's offset is
    // past the header.
    throw CorruptFile(path, FileKind::manifest, kCheckedFileHeaderBytes + e.offset(), e.what());
  }
}

}  // namespace sw
