#include "streamweave/operators/io/postgres_client.hpp"

#include <libpq-fe.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "streamweave/operators/io/postgres_binary.hpp"

namespace sw {

namespace {

// What libpq's messages end with.
std::string trimmed(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return std::string(text);
}

// The keywords of libpq's connection parameters that a URI's query may set; the address's
// own (host, port, dbname, user, password) are written in the address.
bool is_libpq_parameter(std::string_view name) {
  constexpr std::string_view kAddress[] = {"host",   "hostaddr", "port",
                                           "dbname", "user",     "password"};
  if (std::find(std::begin(kAddress), std::end(kAddress), name) != std::end(kAddress)) {
    return false;
  }
  std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> options(PQconndefaults(),
                                                                         PQconninfoFree);
  for (const PQconninfoOption* o = options.get(); o != nullptr && o->keyword != nullptr; ++o) {
    if (name == o->keyword) return true;
  }
  return false;
}

std::string first_line(std::string_view sql) {
  const std::size_t start = sql.find_first_not_of(" \n");
  sql = start == std::string_view::npos ? std::string_view() : sql.substr(start);
  return std::string(sql.substr(0, std::min(sql.find('\n'), std::size_t{80})));
}

}  // namespace

PostgresAddress PostgresAddress::parse(std::string_view uri) {
  PostgresAddress a{
      ServiceUri::parse(uri, uri.starts_with("postgres://") ? "postgres" : "postgresql", 5432)};
  a.scheme = "postgresql";
  if (a.path.empty() || a.path.find('/') != std::string::npos) {
    throw std::invalid_argument("postgresql URI '" + a.uri() +
                                "': no database (postgresql://host:port/DATABASE?table=...)");
  }
  return a;
}

void PostgresAddress::check_parameters(std::span<const std::string_view> known) const {
  for_each_parameter([&](std::string_view name, const std::string&) {
    if (std::find(known.begin(), known.end(), name) != known.end() || is_libpq_parameter(name)) {
      return;
    }
    std::string names;
    for (const std::string_view k : known) names += (names.empty() ? "" : ", ") + std::string(k);
    throw std::invalid_argument(uri() + ": no parameter '" + std::string(name) +
                                "' (known: " + names + ", and libpq's connection parameters)");
  });
}

std::vector<std::pair<std::string, std::string>> PostgresAddress::libpq_parameters() const {
  std::vector<std::pair<std::string, std::string>> out;
  for_each_parameter([&](std::string_view name, std::string value) {
    if (is_libpq_parameter(name)) out.emplace_back(std::string(name), std::move(value));
  });
  return out;
}

int PostgresResult::rows() const noexcept {
  return PQntuples(result_.get());
}
int PostgresResult::columns() const noexcept {
  return PQnfields(result_.get());
}
bool PostgresResult::is_null(int row, int column) const noexcept {
  return PQgetisnull(result_.get(), row, column) != 0;
}
std::string_view PostgresResult::value(int row, int column) const noexcept {
  return {PQgetvalue(result_.get(), row, column),
          static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}
std::uint64_t PostgresResult::affected() const noexcept {
  const std::string_view text = PQcmdTuples(result_.get());
  std::uint64_t n = 0;
  std::from_chars(text.data(), text.data() + text.size(), n);
  return n;
}
void PostgresResult::Clear::operator()(pg_result* result) const noexcept {
  PQclear(result);
}

PostgresClient::PostgresClient(const PostgresAddress& address, std::chrono::milliseconds timeout)
    : address_(address), conn_(nullptr, PQfinish) {
  const std::string port = std::to_string(address.port);
  const std::string seconds =
      std::to_string(std::max<long long>(2, (timeout.count() + 999) / 1000));
  std::vector<std::pair<std::string, std::string>> params = address.libpq_parameters();
  const auto set = [&](std::string key, std::string value) {
    if (std::none_of(params.begin(), params.end(), [&](const auto& p) { return p.first == key; })) {
      params.emplace_back(std::move(key), std::move(value));
    }
  };
  set("host", address.host);
  set("port", port);
  set("dbname", address.path);
  if (!address.user.empty()) set("user", address.user);
  if (!address.password.empty()) set("password", address.password);
  set("connect_timeout", seconds);
  set("client_encoding", "UTF8");
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : params) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_.reset(PQconnectdbParams(keys.data(), values.data(), 0));
  if (!conn_) throw PostgresError("cannot connect to " + address_.uri() + ": out of memory", true);
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    throw PostgresError(
        "cannot connect to " + address_.uri() + ": " + trimmed(PQerrorMessage(conn_.get())), true);
  }
  // The server's notices ("relation already exists, skipping") are not the job's output.
  PQsetNoticeProcessor(
      conn_.get(), [](void*, const char*) {}, nullptr);
}

PostgresClient::~PostgresClient() {
  if (copied_ != nullptr) PQfreemem(copied_);
}
PostgresClient::PostgresClient(PostgresClient&& other) noexcept
    : address_(std::move(other.address_)),
      conn_(std::move(other.conn_)),
      copied_(std::exchange(other.copied_, nullptr)) {}
PostgresClient& PostgresClient::operator=(PostgresClient&& other) noexcept {
  if (this != &other) {
    if (copied_ != nullptr) PQfreemem(copied_);
    address_ = std::move(other.address_);
    conn_ = std::move(other.conn_);
    copied_ = std::exchange(other.copied_, nullptr);
  }
  return *this;
}

void PostgresClient::fail(std::string_view what, pg_result* result) const {
  std::string why =
      trimmed(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn_.get()));
  if (why.empty()) why = trimmed(PQerrorMessage(conn_.get()));
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state != nullptr ? state : "";
  PQclear(result);
  // Lost: libpq saw the connection end, or the failure is not the server's answer (it gives
  // every error a code), or the server is going away (class 08; 57P01-57P03: shut down,
  // crashed, starting).
  const bool lost = broken() || sqlstate.empty() || sqlstate.starts_with("08") ||
                    sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
  throw PostgresError(address_.uri() + ": " + std::string(what) + " failed: " + why, lost,
                      std::move(sqlstate));
}

PostgresResult PostgresClient::exec(std::string_view sql,
                                    std::initializer_list<std::string_view> params) {
  const std::string text(sql);
  std::vector<std::string> owned(params.begin(), params.end());
  std::vector<const char*> values;
  for (const std::string& p : owned) values.push_back(p.c_str());
  pg_result* result = PQexecParams(conn_.get(), text.c_str(), static_cast<int>(values.size()),
                                   nullptr, values.data(), nullptr, nullptr, 0);
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(first_line(sql), result);
  return PostgresResult(result);
}

void PostgresClient::copy_in(std::string_view sql) {
  const std::string text(sql);
  pg_result* result = PQexec(conn_.get(), text.c_str());
  if (PQresultStatus(result) != PGRES_COPY_IN) fail(first_line(sql), result);
  PQclear(result);
}

void PostgresClient::put(std::string_view bytes) {
  while (!bytes.empty()) {
    // libpq takes an int per call.
    const std::size_t n = std::min<std::size_t>(bytes.size(), 1U << 30);
    if (PQputCopyData(conn_.get(), bytes.data(), static_cast<int>(n)) != 1) {
      fail("COPY", nullptr);
    }
    bytes.remove_prefix(n);
  }
}

std::uint64_t PostgresClient::end_copy_in() {
  if (PQputCopyEnd(conn_.get(), nullptr) != 1) fail("COPY", nullptr);
  std::uint64_t rows = 0;
  while (pg_result* result = PQgetResult(conn_.get())) {
    if (PQresultStatus(result) != PGRES_COMMAND_OK) fail("COPY", result);
    rows += PostgresResult(result).affected();
  }
  return rows;
}

void PostgresClient::copy_out(std::string_view sql) {
  const std::string text(sql);
  pg_result* result = PQexec(conn_.get(), text.c_str());
  if (PQresultStatus(result) != PGRES_COPY_OUT) fail(first_line(sql), result);
  PQclear(result);
}

bool PostgresClient::next(std::string_view& data) {
  if (copied_ != nullptr) {
    PQfreemem(copied_);
    copied_ = nullptr;
  }
  const int n = PQgetCopyData(conn_.get(), &copied_, 0);
  if (n > 0) {
    data = std::string_view(copied_, static_cast<std::size_t>(n));
    return true;
  }
  if (n == -2) fail("COPY", nullptr);
  while (pg_result* result = PQgetResult(conn_.get())) {
    if (PQresultStatus(result) != PGRES_COMMAND_OK) fail("COPY", result);
    PQclear(result);
  }
  return false;
}

std::string PostgresClient::quote_identifier(std::string_view name) const {
  std::string out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = name.find('.', start);
    const std::string_view part = name.substr(start, dot - start);
    char* quoted = PQescapeIdentifier(conn_.get(), part.data(), part.size());
    if (quoted == nullptr) fail("quoting an identifier", nullptr);
    if (!out.empty()) out += '.';
    out += quoted;
    PQfreemem(quoted);
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

bool PostgresClient::broken() const noexcept {
  return !conn_ || PQstatus(conn_.get()) == CONNECTION_BAD;
}

namespace pg {

bool valid_text(std::string_view text) noexcept {
  return std::memchr(text.data(), 0, text.size()) == nullptr &&
         simdjson::validate_utf8(text.data(), text.size());
}

}  // namespace pg

}  // namespace sw
