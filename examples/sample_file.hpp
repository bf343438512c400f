// A generated sample input that lives as long as the pipeline that reads it: a temporary
// file, removed when the last holder lets go, when writing it fails, and — when a signal
// stops the process — by the next run (temp_file.hpp).
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace sw::examples {

class SampleFile {
 public:
  // Calls write(path) for a new temporary path named after `stem`; removes the file and
  // rethrows when write throws.
  SampleFile(const std::string& stem, const std::function<void(const std::string&)>& write);
  SampleFile(const SampleFile&) = delete;
  SampleFile& operator=(const SampleFile&) = delete;
  ~SampleFile();
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

// config.input, or else a generated sample made by `write` (held by `keep`).
std::string input_or_sample(const std::string& input, const std::string& stem,
                            const std::function<void(const std::string&)>& write,
                            std::shared_ptr<SampleFile>& keep);

// Thrown by a sample writer that was asked to stop (request_stop).
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

// Asks sample writers to stop: they throw Interrupted at their next check. Async-signal-safe,
// any thread.
void request_stop() noexcept;
// Throws Interrupted once request_stop() was called. Any thread.
void throw_if_stop_requested();

}  // namespace sw::examples
