// The address part of a connector's URI, scheme://[[user]:password@]host[:port][/path][?query],
// shared by the Redis and PostgreSQL connectors: parsed, checked, and printed without the
// password.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sw {

struct ServiceUri {
  std::string scheme;  // "redis", "postgresql"
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string user;      // empty: the server's default
  std::string password;  // empty: none
  std::string path;      // after the first '/', percent-decoded
  std::string query;     // after '?', raw: name=value&...

  // Parses `uri`, which must start with scheme "://"; `default_port` when it names none.
  // Throws std::invalid_argument naming `uri` and what is wrong with it.
  [[nodiscard]] static ServiceUri parse(std::string_view uri, std::string_view scheme,
                                        std::uint16_t default_port);
  // The value of `name` in the query, percent-decoded, if it is there ("" for a bare name).
  [[nodiscard]] std::optional<std::string> query_value(std::string_view name) const;
  // Throws std::invalid_argument naming a query parameter not in `known`.
  void check_query(std::span<const std::string_view> known) const;
  // Each name=value pair of the query, values percent-decoded, in order.
  template <class F>
  void for_each_parameter(F&& f) const {
    std::string_view rest = query;
    while (!rest.empty()) {
      const std::size_t amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      const std::size_t eq = pair.find('=');
      f(pair.substr(0, eq),
        eq == std::string_view::npos ? std::string() : decoded(pair.substr(eq + 1)));
      if (amp == std::string_view::npos) break;
      rest = rest.substr(amp + 1);
    }
  }
  // scheme://host:port/path, for messages: never the password.
  [[nodiscard]] std::string uri() const;

 private:
  [[nodiscard]] std::string decoded(std::string_view text) const;
};

}  // namespace sw
