// Internal: errors of system calls on files, naming the file.
#pragma once

#include <cerrno>
#include <filesystem>
#include <string>
#include <system_error>

namespace sw::detail {

// Throws std::system_error for errno: "<what> <path>: <strerror>".
[[noreturn]] inline void throw_errno(const std::string& what, const std::filesystem::path& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

}  // namespace sw::detail
