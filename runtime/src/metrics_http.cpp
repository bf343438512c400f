#include "metrics_http.hpp"

#include <fmt/format.h>

namespace sw::runtime {

namespace {

constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";

std::string response(std::string_view status, std::string_view type, std::string_view body,
                     bool with_body, std::string_view extra_headers = {}) {
  std::string out = fmt::format(
      "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n",
      status, type, body.size(), extra_headers);
  if (with_body) out += body;
  return out;
}

}  // namespace

std::optional<HttpRequestLine> parse_request_line(std::string_view head) noexcept {
  const std::size_t line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  const std::size_t first = line.find(' ');
  if (first == std::string_view::npos || first == 0) return std::nullopt;
  const std::size_t second = line.find(' ', first + 1);
  if (second == std::string_view::npos || second == first + 1) return std::nullopt;
  if (!line.substr(second + 1).starts_with("HTTP/1.")) return std::nullopt;
  HttpRequestLine request{line.substr(0, first), line.substr(first + 1, second - first - 1)};
  request.target = request.target.substr(0, request.target.find('?'));
  return request;
}

std::string http_response(std::string_view head, const std::function<std::string()>& render) {
  const std::optional<HttpRequestLine> request = parse_request_line(head);
  if (!request) return response("400 Bad Request", "text/plain", "not an HTTP request\n", true);
  const bool get = request->method == "GET";
  if (!get && request->method != "HEAD") {
    return response("405 Method Not Allowed", "text/plain", "GET or HEAD only\n", true,
                    "Allow: GET, HEAD\r\n");
  }
  if (request->target == "/") {
    return response("200 OK", "text/plain", "StreamWeave: live metrics at /metrics\n", get);
  }
  if (request->target != "/metrics") {
    return response("404 Not Found", "text/plain", "no such page; metrics are at /metrics\n", get);
  }
  try {
    return response("200 OK", kMetricsType, render(), get);
  } catch (const std::exception& e) {
    return response("500 Internal Server Error", "text/plain", std::string(e.what()) + "\n", get);
  }
}

std::string http_error_response(std::string_view status, std::string_view body) {
  return response(status, "text/plain", body, true);
}

}  // namespace sw::runtime
