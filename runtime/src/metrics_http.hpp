// Internal: the HTTP of the metrics server — what a request's head asks for, and the whole
// response it gets. Pure functions over bytes (fuzzed: tests/fuzz/fuzz_http_decode.cpp);
// the sockets are MetricsServer's.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sw::runtime {

// A request's method and target, from its head (the bytes before the blank line).
struct HttpRequestLine {
  std::string_view method;
  std::string_view target;  // without a query string
};

// The request line of `head` ("GET /metrics?x HTTP/1.1"), or nullopt when it is not one.
// Pure: any bytes are fine (fuzzed).
[[nodiscard]] std::optional<HttpRequestLine> parse_request_line(std::string_view head) noexcept;

// The whole response to a request whose head is `head`: status line, headers, and (but for
// HEAD) the body, which `render` makes for /metrics. Pure but for render.
[[nodiscard]] std::string http_response(std::string_view head,
                                        const std::function<std::string()>& render);

// A response with `status` ("431 Request Header Fields Too Large") and a plain-text body:
// for what the server finds wrong before there is a head to answer.
[[nodiscard]] std::string http_error_response(std::string_view status, std::string_view body);

}  // namespace sw::runtime
