// A PostgreSQL connection for the PostgreSQL connectors (and the tests that check what they
// wrote): statements with text parameters, COPY in both directions, every failure a
// PostgresError naming the server's URI (without its password). libpq underneath.
//
// Thread safety: a PostgresClient belongs to one thread at a time; a PostgresResult to its
// reader.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "streamweave/operators/io/service_uri.hpp"

struct pg_conn;
struct pg_result;

namespace sw {

// The server could not be reached, or refused a statement. `io()` is true when the
// connection is lost or the server is going away (worth reconnecting); `sqlstate()` is the
// server's error code ("23505": a unique key violated), empty when it gave none.
class PostgresError : public std::runtime_error {
 public:
  PostgresError(const std::string& message, bool io, std::string sqlstate = {})
      : std::runtime_error(message), io_(io), sqlstate_(std::move(sqlstate)) {}
  [[nodiscard]] bool io() const noexcept { return io_; }
  [[nodiscard]] const std::string& sqlstate() const noexcept { return sqlstate_; }

 private:
  bool io_;
  std::string sqlstate_;
};

// postgresql://[[user]:password@]host[:port]/DATABASE[?query] (or postgres://; port 5432 by
// default). The query holds the connector's parameters and libpq's connection parameters
// (sslmode=, application_name=, ...): `libpq_parameters` says which are libpq's.
struct PostgresAddress : ServiceUri {
  // Throws std::invalid_argument naming `uri` and what is wrong with it (a missing database).
  [[nodiscard]] static PostgresAddress parse(std::string_view uri);
  // Throws std::invalid_argument naming a parameter that is neither in `known` nor libpq's.
  void check_parameters(std::span<const std::string_view> known) const;
  // The query's parameters that libpq knows, for the connection.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> libpq_parameters() const;
};

// A statement's result; values in text form.
class PostgresResult {
 public:
  explicit PostgresResult(pg_result* result) noexcept : result_(result) {}
  [[nodiscard]] int rows() const noexcept;
  [[nodiscard]] int columns() const noexcept;
  [[nodiscard]] bool is_null(int row, int column) const noexcept;
  [[nodiscard]] std::string_view value(int row, int column) const noexcept;
  // Rows a command affected ("INSERT 0 5": 5).
  [[nodiscard]] std::uint64_t affected() const noexcept;

 private:
  struct Clear {
    void operator()(pg_result* result) const noexcept;
  };
  std::unique_ptr<pg_result, Clear> result_;
};

class PostgresClient {
 public:
  // Connects (within `timeout`, at least 2 s: libpq's granularity) and authenticates. Throws
  // PostgresError: "cannot connect to postgresql://host:port/db: ..." with libpq's reason.
  explicit PostgresClient(const PostgresAddress& address,
                          std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  ~PostgresClient();
  PostgresClient(PostgresClient&&) noexcept;
  PostgresClient& operator=(PostgresClient&&) noexcept;

  // Runs one statement, `params` bound as $1, $2, ... in text form. Throws PostgresError,
  // naming `sql`'s first line and the server's message, when it fails.
  PostgresResult exec(std::string_view sql, std::initializer_list<std::string_view> params = {});

  // COPY ... FROM STDIN: copy_in() starts it, put() sends bytes (any framing), end() finishes
  // it and returns the rows copied; a failure of the server's is thrown by end().
  void copy_in(std::string_view sql);
  void put(std::string_view bytes);
  std::uint64_t end_copy_in();

  // COPY ... TO STDOUT: copy_out() starts it; next() gives the next piece of data (a row in
  // the server's framing) until it returns false at the end. The view is valid until the
  // next call.
  void copy_out(std::string_view sql);
  bool next(std::string_view& data);

  // `name` quoted as an identifier ("my table" -> "\"my table\""); a dotted name is quoted
  // part by part (schema.table).
  [[nodiscard]] std::string quote_identifier(std::string_view name) const;
  // The connection is lost (a statement failed with io()).
  [[nodiscard]] bool broken() const noexcept;
  [[nodiscard]] const PostgresAddress& address() const noexcept { return address_; }

 private:
  [[noreturn]] void fail(std::string_view what, pg_result* result) const;
  PostgresAddress address_;
  std::unique_ptr<pg_conn, void (*)(pg_conn*)> conn_;
  char* copied_ = nullptr;  // the last piece next() returned, freed at the next call
};

}  // namespace sw
