#include "streamweave/operators/io/temp_file.hpp"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <memory>

namespace sw {

namespace {

constexpr std::string_view kMarker = ".streamweave-";
constexpr std::string_view kSuffix = ".tmp";

const std::string& host_name() {
  static const std::string name = [] {
    char buffer[256] = {};
    if (::gethostname(buffer, sizeof buffer - 1) != 0 || buffer[0] == '\0')
      return std::string("host");
    return std::string(buffer);
  }();
  return name;
}

bool process_gone(std::int64_t pid) noexcept {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

std::string temp_name(std::string_view stem) {
  std::string name(stem);
  name += kMarker;
  name += host_name();
  name += '-';
  name += std::to_string(::getpid());
  name += kSuffix;
  return name;
}

std::optional<TempName> parse_temp_name(std::string_view name) {
  if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) return std::nullopt;
  name.remove_suffix(kSuffix.size());
  const std::size_t marker = name.rfind(kMarker);
  const std::size_t dash = name.rfind('-');
  if (marker == std::string_view::npos || dash == std::string_view::npos ||
      dash <= marker + kMarker.size()) {
    return std::nullopt;
  }
  TempName parsed;
  const std::string_view digits = name.substr(dash + 1);
  const auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), parsed.pid);
  if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty()) {
    return std::nullopt;
  }
  parsed.stem = name.substr(0, marker);
  parsed.host = name.substr(marker + kMarker.size(), dash - marker - kMarker.size());
  return parsed;
}

std::size_t remove_stale_temp_files(const std::string& directory, std::string_view stem,
                                    bool stem_is_prefix) noexcept {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(directory.empty() ? "." : directory.c_str()),
                                          ::closedir);
  if (!dir) return 0;
  std::size_t removed = 0;
  try {
    const std::string& host = host_name();
    while (const dirent* entry = ::readdir(dir.get())) {
      const std::string_view name(entry->d_name);
      if (!name.starts_with(stem)) continue;
      const auto parsed = parse_temp_name(name);
      if (!parsed || parsed->host != host) continue;
      if (stem_is_prefix ? !parsed->stem.starts_with(stem) : parsed->stem != stem) continue;
      if (!process_gone(parsed->pid)) continue;
      const std::string path =
          (directory.empty() ? std::string(".") : directory) + "/" + std::string(name);
      if (::unlink(path.c_str()) == 0) ++removed;
    }
  } catch (...) {
    // A name too long to copy: nothing more is removed.
  }
  return removed;
}

}  // namespace sw
