#include "sample_file.hpp"

#include <atomic>
#include <filesystem>
#include <streamweave/operators/io/temp_file.hpp>

namespace sw::examples {

namespace {

std::atomic<bool> stop_requested{false};

}  // namespace

void request_stop() noexcept {
  stop_requested.store(true, std::memory_order_relaxed);
}

void throw_if_stop_requested() {
  if (stop_requested.load(std::memory_order_relaxed)) throw Interrupted();
}

SampleFile::SampleFile(const std::string& stem,
                       const std::function<void(const std::string&)>& write) {
  static std::atomic<int> counter{0};
  const std::string directory = std::filesystem::temp_directory_path().string();
  remove_stale_temp_files(directory, stem + "-", true);
  path_ = directory + "/" + temp_name(stem + "-" + std::to_string(counter++));
  try {
    write(path_);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
    throw;
  }
}

SampleFile::~SampleFile() {
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

std::string input_or_sample(const std::string& input, const std::string& stem,
                            const std::function<void(const std::string&)>& write,
                            std::shared_ptr<SampleFile>& keep) {
  if (!input.empty()) return input;
  keep = std::make_shared<SampleFile>(stem, write);
  return keep->path();
}

}  // namespace sw::examples
