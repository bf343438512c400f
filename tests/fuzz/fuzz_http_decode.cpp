// libFuzzer target: any bytes as the head of a request to the metrics server get a well-formed
// response and never a crash; a request line that parses is made of the input's own bytes.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../../runtime/src/metrics_http.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view head(reinterpret_cast<const char*>(data), size);
  if (const auto request = sw::runtime::parse_request_line(head)) {
    const auto inside = [&](std::string_view part) {
      return part.data() >= head.data() && part.data() + part.size() <= head.data() + head.size();
    };
    if (request->method.empty() || request->target.find('?') != std::string_view::npos ||
        !inside(request->method) || !inside(request->target)) {
      std::abort();
    }
  }
  const std::string body = "streamweave_up 1\n";
  const std::string response = sw::runtime::http_response(head, [&] { return body; });
  if (!response.starts_with("HTTP/1.1 ") || response.find("\r\n\r\n") == std::string::npos) {
    std::abort();
  }
  const bool served = response.starts_with("HTTP/1.1 200 ") && head.starts_with("GET /metrics");
  if (served && !response.ends_with(body)) std::abort();
  return 0;
}
