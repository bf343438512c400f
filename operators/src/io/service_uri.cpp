#include "streamweave/operators/io/service_uri.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace sw {

namespace {

std::string percent_decoded(std::string_view text, std::string_view uri) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    unsigned value = 0;
    const char* first = text.data() + i + 1;
    if (i + 2 >= text.size() || std::from_chars(first, first + 2, value, 16).ptr != first + 2) {
      throw std::invalid_argument("URI " + std::string(uri) + ": a bad %-escape in '" +
                                  std::string(text) + "'");
    }
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

}  // namespace

ServiceUri ServiceUri::parse(std::string_view uri, std::string_view scheme,
                             std::uint16_t default_port) {
  const std::string prefix = std::string(scheme) + "://";
  const auto bad = [&](const std::string& why) {
    return std::invalid_argument(std::string(scheme) + " URI '" + std::string(uri) + "': " + why +
                                 " (expected " + prefix + "[[user]:password@]host[:port]/...)");
  };
  if (!uri.starts_with(prefix)) throw bad("not a " + prefix + " URI");
  ServiceUri a;
  a.scheme = std::string(scheme);
  a.port = default_port;
  std::string_view rest = uri.substr(prefix.size());
  if (const std::size_t q = rest.find('?'); q != std::string_view::npos) {
    a.query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    a.path = percent_decoded(rest.substr(slash + 1), uri);
    rest = rest.substr(0, slash);
  }
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    a.user = percent_decoded(userinfo.substr(0, colon), uri);
    if (colon != std::string_view::npos) {
      a.password = percent_decoded(userinfo.substr(colon + 1), uri);
    }
    rest = rest.substr(at + 1);
  }
  if (const std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = rest.substr(colon + 1);
    unsigned value = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      throw bad("'" + std::string(port) + "' is not a port");
    }
    a.port = static_cast<std::uint16_t>(value);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) throw bad("no host");
  a.host = std::string(rest);
  return a;
}

std::string ServiceUri::decoded(std::string_view text) const {
  return percent_decoded(text, uri());
}

std::optional<std::string> ServiceUri::query_value(std::string_view name) const {
  std::optional<std::string> found;
  for_each_parameter([&](std::string_view n, std::string value) {
    if (!found && n == name) found = std::move(value);
  });
  return found;
}

void ServiceUri::check_query(std::span<const std::string_view> known) const {
  for_each_parameter([&](std::string_view name, const std::string&) {
    if (std::find(known.begin(), known.end(), name) != known.end()) return;
    std::string names;
    for (const std::string_view k : known) names += (names.empty() ? "" : ", ") + std::string(k);
    throw std::invalid_argument(uri() + ": no parameter '" + std::string(name) +
                                "' (known: " + names + ")");
  });
}

std::string ServiceUri::uri() const {
  return scheme + "://" + host + ":" + std::to_string(port) + (path.empty() ? "" : "/" + path);
}

}  // namespace sw
