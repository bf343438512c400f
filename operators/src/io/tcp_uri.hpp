// Internal to the TCP source and sink: the parts of their URI.
#pragma once

#include <array>
#include <charconv>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "streamweave/operators/io/service_uri.hpp"
#include "streamweave/operators/tcp.hpp"

namespace sw::detail {

enum class Framing { lines, length };

struct TcpUri {
  ServiceUri address;
  Framing framing = Framing::lines;
  std::size_t max_frame = 0;
  bool skip_malformed = false;    // malformed=skip: an oversized frame is counted, not fatal
  std::uint64_t connections = 0;  // source: end after this many clients closed (0: never)
};

// A whole number parameter of `uri`, named in the error when it is not one.
inline std::uint64_t number_parameter(const ServiceUri& uri, std::string_view name,
                                      std::uint64_t otherwise) {
  const std::optional<std::string> text = uri.query_value(name);
  if (!text) return otherwise;
  std::uint64_t value = 0;
  const char* end = text->data() + text->size();
  if (text->empty() || std::from_chars(text->data(), end, value).ptr != end) {
    throw std::invalid_argument(uri.uri() + ": " + std::string(name) + "=" + *text +
                                " (expected a whole number)");
  }
  return value;
}

// `max_frame`: the longest frame where the URI sets none (TcpOptions::max_frame).
inline TcpUri parse_tcp_uri(const std::string& text, bool source, std::size_t max_frame) {
  // The sink takes the first two.
  constexpr std::array<std::string_view, 4> kParameters{"framing", "max_frame", "malformed",
                                                        "connections"};
  TcpUri t;
  t.address = ServiceUri::parse(text, "tcp", 0);
  t.address.check_query(std::span(kParameters).first(source ? 4 : 2));
  if (t.address.port == 0) {
    throw std::invalid_argument("tcp URI '" + t.address.uri() + "': no port (tcp://host:port)");
  }
  if (!t.address.path.empty() || !t.address.user.empty() || !t.address.password.empty()) {
    throw std::invalid_argument("tcp URI '" + t.address.uri() +
                                "': only tcp://host:port[?parameters]");
  }
  const std::string framing = t.address.query_value("framing").value_or("lines");
  if (framing != "lines" && framing != "length") {
    throw std::invalid_argument(t.address.uri() + ": framing=" + framing +
                                " (expected lines or length)");
  }
  t.framing = framing == "lines" ? Framing::lines : Framing::length;
  t.max_frame = number_parameter(t.address, "max_frame", max_frame);
  if (t.max_frame == 0 || t.max_frame > kMaxTcpFrame) {
    throw std::invalid_argument(t.address.uri() + ": max_frame=" + std::to_string(t.max_frame) +
                                (t.address.query_value("max_frame") ? "" : " (TcpOptions)") +
                                " must be 1 to " + std::to_string(kMaxTcpFrame) + " bytes");
  }
  const std::string malformed = t.address.query_value("malformed").value_or("fail");
  if (malformed != "fail" && malformed != "skip") {
    throw std::invalid_argument(t.address.uri() + ": malformed=" + malformed +
                                " (expected fail or skip)");
  }
  t.skip_malformed = malformed == "skip";
  t.connections = number_parameter(t.address, "connections", 0);
  return t;
}

}  // namespace sw::detail
