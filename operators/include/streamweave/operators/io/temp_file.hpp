// Temporary files that a killed process may leave behind, and how a later run clears them.
//
// A file that is written and then renamed into place (FileWriter), or a generated sample
// input, is named "<stem>.streamweave-<host>-<pid>.tmp" while it exists. SIGKILL (or a
// power cut) leaves such a file behind; the next process that writes next to it removes the
// ones whose process is gone on this host. A file of a live process, or of another host
// sharing the directory (NFS), is left alone.
// Thread safety: any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sw {

// "<stem>.streamweave-<host>-<pid>.tmp" for this process.
[[nodiscard]] std::string temp_name(std::string_view stem);

// The stem, host and pid of a name made by temp_name, or nullopt for any other name.
struct TempName {
  std::string stem;
  std::string host;
  std::int64_t pid = 0;
};
[[nodiscard]] std::optional<TempName> parse_temp_name(std::string_view name);

// Removes the temporary files in `directory` whose stem is `stem` (or starts with `stem`
// when `stem_is_prefix`), made on this host by a process that no longer runs. Returns how
// many it removed; never throws (a directory it cannot read has nothing it may remove).
std::size_t remove_stale_temp_files(const std::string& directory, std::string_view stem,
                                    bool stem_is_prefix = false) noexcept;

}  // namespace sw
