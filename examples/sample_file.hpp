// A generated sample input that lives as long as the pipeline that reads it: a temporary
// file, removed when the last holder lets go.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace sw::examples {

class SampleFile {
 public:
  // Calls write(path) for a new temporary path named after `stem`.
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

}  // namespace sw::examples
