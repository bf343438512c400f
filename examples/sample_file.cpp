#include "sample_file.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>

namespace sw::examples {

SampleFile::SampleFile(const std::string& stem,
                       const std::function<void(const std::string&)>& write) {
  static std::atomic<int> counter{0};
  path_ = (std::filesystem::temp_directory_path() /
           (stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
              .string();
  write(path_);
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
