#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "epoch_outbox.hpp"
#include "postgres_uri.hpp"
#include "retry_backoff.hpp"
#include "streamweave/operators/postgresql.hpp"

namespace sw::detail {

namespace {

constexpr std::string_view kProgressTable = "streamweave_progress";
constexpr std::string_view kStage = "streamweave_stage";
// Without checkpoints, rows are sent in one COPY per this much (or when the input runs dry):
// a COPY per batch of 1024 rows spent more time on its two round trips than on the rows
// (0.5 of psql's \copy).
constexpr std::size_t kCopyBytes = std::size_t{4} << 20;

std::string joined(const std::vector<std::string>& parts, std::string_view separator = ", ") {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : std::string(separator)) + p;
  return out;
}

// Accepted for a text member: what binary COPY reads as text.
bool same_type(std::uint32_t wanted, std::uint32_t actual) {
  constexpr std::uint32_t kText = 25, kVarchar = 1043;
  return wanted == actual || (wanted == kText && actual == kVarchar);
}

}  // namespace

struct PostgresWriter::State {
  State(const InstanceContext& context, const std::string& text,
        std::vector<pg::ColumnSpec> row_columns, const PostgresOptions& opts)
      : uri(parse_postgres_uri(text, false)),
        ctx(context),
        columns(std::move(row_columns)),
        options(opts),
        outbox(context) {}

  PostgresUri uri;
  InstanceContext ctx;
  std::vector<pg::ColumnSpec> columns;
  PostgresOptions options;
  EpochOutbox outbox;  // checkpoints: this epoch's rows, and sealed ones
  std::string batch;   // no checkpoints: the batch's rows
  std::size_t batch_end = 0;
  std::optional<PostgresClient> client;
  bool prepared = false;  // the table checked (or created) and the statements written
  bool finished = false;
  std::string copy_sql;    // COPY into the table (or the stage, to upsert)
  std::string upsert_sql;  // the stage into the table

  // Connects; the first time, prepares the table, and for upserts each session's stage. A
  // server lost while preparing is retried as any write is: the instance had reached it.
  PostgresClient& connected() {
    if (client) return *client;
    client.emplace(uri.address, options.timeout);
    try {
      if (!prepared) prepare_table();
      prepared = true;
      if (!uri.key.empty()) create_stage();
    } catch (...) {
      client.reset();
      throw;
    }
    return *client;
  }

  [[nodiscard]] std::string table_name() const { return uri.address.uri() + " table " + uri.table; }

  // Creates what is missing (under a lock: instances racing to create a table collide), then
  // checks the table's columns and key against the row type, and writes the statements.
  void prepare_table() {
    PostgresClient& c = *client;
    const std::string table = c.quote_identifier(uri.table);
    c.exec("BEGIN");
    c.exec("SELECT pg_advisory_xact_lock(hashtext('streamweave: create tables'))");
    c.exec("CREATE TABLE IF NOT EXISTS " + std::string(kProgressTable) +
           " (sink text NOT NULL, origin text NOT NULL, epoch bigint NOT NULL,"
           " PRIMARY KEY (sink, origin))");
    if (uri.create) {
      std::vector<std::string> definitions;
      for (const pg::ColumnSpec& col : columns) {
        definitions.push_back(c.quote_identifier(col.name) + " " + col.sql +
                              (col.nullable ? "" : " NOT NULL"));
      }
      if (!uri.key.empty()) definitions.push_back("PRIMARY KEY (" + quoted(uri.key) + ")");
      c.exec("CREATE TABLE IF NOT EXISTS " + table + " (" + joined(definitions) + ")");
    }
    c.exec("COMMIT");
    check_columns(table);
    if (!uri.key.empty()) check_key(table);
    copy_sql = "COPY " + (uri.key.empty() ? table : std::string(kStage)) + " (" +
               quoted(column_names()) + ") FROM STDIN (FORMAT binary)";
    if (!uri.key.empty()) upsert_sql = upsert(table, column_names());
  }

  [[nodiscard]] std::string quoted(const std::vector<std::string>& names) const {
    std::vector<std::string> out;
    for (const std::string& n : names) out.push_back(client->quote_identifier(n));
    return joined(out);
  }

  void check_columns(const std::string& table) {
    const PostgresResult r = client->exec(
        "SELECT a.attname, a.atttypid::int8, format_type(a.atttypid, a.atttypmod)"
        " FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0"
        " AND NOT a.attisdropped",
        {table});
    if (r.rows() == 0) {
      throw std::runtime_error(table_name() + " does not exist (create=0)");
    }
    for (const pg::ColumnSpec& col : columns) {
      int row = 0;
      while (row < r.rows() && r.value(row, 0) != col.name) ++row;
      if (row == r.rows()) {
        throw std::runtime_error(table_name() + " has no column " + col.name +
                                 ", which the row type has (" + col.sql + ")");
      }
      std::uint32_t oid = 0;
      const std::string_view text = r.value(row, 1);
      std::from_chars(text.data(), text.data() + text.size(), oid);
      if (!same_type(col.oid, oid)) {
        throw std::runtime_error(table_name() + ": column " + col.name + " is " +
                                 std::string(r.value(row, 2)) + ", the row type's member is " +
                                 col.sql);
      }
    }
  }

  // An upsert needs a unique index on exactly the key's columns.
  void check_key(const std::string& table) {
    for (const std::string& k : uri.key) {
      if (std::none_of(columns.begin(), columns.end(),
                       [&](const auto& c) { return c.name == k; })) {
        throw std::runtime_error(table_name() + ": key column " + k + " is not in the row type");
      }
    }
    const PostgresResult r = client->exec(
        "SELECT i.indexrelid::int8, a.attname FROM pg_index i JOIN pg_attribute a"
        " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey::int2[])"
        " WHERE i.indrelid = to_regclass($1) AND i.indisunique",
        {table});
    std::map<std::string, std::set<std::string>> indexes;
    for (int row = 0; row < r.rows(); ++row) {
      indexes[std::string(r.value(row, 0))].insert(std::string(r.value(row, 1)));
    }
    const std::set<std::string> key(uri.key.begin(), uri.key.end());
    if (std::none_of(indexes.begin(), indexes.end(),
                     [&](const auto& i) { return i.second == key; })) {
      throw std::runtime_error(table_name() + " has no primary key or unique index on (" +
                               joined(uri.key) + "), which key= upserts on");
    }
  }

  // Rows of a key arriving twice in one commit: the last one wins (ON CONFLICT may touch a
  // row once per statement).
  [[nodiscard]] std::string upsert(const std::string& table,
                                   const std::vector<std::string>& names) const {
    std::vector<std::string> updates;
    for (const std::string& n : names) {
      if (std::find(uri.key.begin(), uri.key.end(), n) != uri.key.end()) continue;
      const std::string q = client->quote_identifier(n);
      updates.push_back(q + " = EXCLUDED." + q);
    }
    const std::string cols = quoted(names), keys = quoted(uri.key);
    return "INSERT INTO " + table + " (" + cols + ") SELECT DISTINCT ON (" + keys + ") " + cols +
           " FROM " + std::string(kStage) + " ORDER BY " + keys + ", streamweave_seq DESC" +
           " ON CONFLICT (" + keys + ") DO " +
           (updates.empty() ? "NOTHING" : "UPDATE SET " + joined(updates));
  }

  // Each session's own staging table for the upserts, emptied at each commit.
  void create_stage() {
    client->exec("CREATE TEMP TABLE " + std::string(kStage) + " ON COMMIT DELETE ROWS AS SELECT " +
                 quoted(column_names()) + " FROM " + client->quote_identifier(uri.table) +
                 " WITH NO DATA");
    client->exec("ALTER TABLE " + std::string(kStage) + " ADD COLUMN streamweave_seq bigserial");
  }
  [[nodiscard]] std::vector<std::string> column_names() const {
    std::vector<std::string> names;
    for (const pg::ColumnSpec& col : columns) names.push_back(col.name);
    return names;
  }

  // Writes `tuples` in one transaction; with `epoch`, only if the progress table does not
  // have it yet, and records it in the same transaction. A lost server is reconnected with
  // backoff for retry_for (a repeated epoch is skipped, a repeated batch written again).
  void write(std::string_view tuples, const HeldEpoch* epoch) {
    RetryBackoff backoff(options.retry_for);
    for (;;) {
      try {
        write_once(tuples, epoch);
        return;
      } catch (const PostgresError& e) {
        if (!e.io()) throw;
        client.reset();
        const std::optional<std::chrono::milliseconds> delay = backoff.next(Clock::now());
        if (!delay) throw PostgresError(e.what() + backoff.gave_up(), true);
        std::this_thread::sleep_for(*delay);
      }
    }
  }

  void write_once(std::string_view tuples, const HeldEpoch* epoch) {
    PostgresClient& c = connected();
    const bool transaction = epoch != nullptr || !uri.key.empty();
    if (transaction) c.exec("BEGIN");
    if (epoch != nullptr && already_written(*epoch)) {
      c.exec("ROLLBACK");
      return;
    }
    if (!tuples.empty()) {
      c.copy_in(copy_sql);
      c.put(pg::kCopyHeader);
      c.put(tuples);
      c.put(pg::kCopyTrailer);
      c.end_copy_in();
      if (!uri.key.empty()) c.exec(upsert_sql);
    }
    if (epoch != nullptr) {
      c.exec("INSERT INTO " + std::string(kProgressTable) +
                 " VALUES ($1, $2, $3) ON CONFLICT (sink, origin) DO UPDATE SET epoch = "
                 "EXCLUDED.epoch",
             {uri.table, epoch->origin, std::to_string(epoch->number)});
    }
    if (transaction) c.exec("COMMIT");
  }

  bool already_written(const HeldEpoch& epoch) {
    const PostgresResult r = client->exec("SELECT epoch FROM " + std::string(kProgressTable) +
                                              " WHERE sink = $1 AND origin = $2 FOR UPDATE",
                                          {uri.table, epoch.origin});
    if (r.rows() == 0) return false;
    std::uint64_t done = 0;
    const std::string_view text = r.value(0, 0);
    std::from_chars(text.data(), text.data() + text.size(), done);
    return done >= epoch.number;
  }

  void write_batch() {
    if (batch_end == 0) return;
    write(std::string_view(batch).substr(0, batch_end), nullptr);
    batch.clear();
    batch_end = 0;
  }
};

PostgresWriter::PostgresWriter(const InstanceContext& ctx, const std::string& uri,
                               std::vector<pg::ColumnSpec> columns, const PostgresOptions& options)
    : state_(std::make_unique<State>(ctx, uri, std::move(columns), options)),
      rows_(ctx.checkpointed ? &state_->outbox.data() : &state_->batch) {}

PostgresWriter::~PostgresWriter() = default;

void PostgresWriter::open() {
  (void)state_->connected();
}

void PostgresWriter::end_row() {
  if (state_->ctx.checkpointed) {
    state_->outbox.end_entry();
  } else {
    state_->batch_end = state_->batch.size();
  }
}

void PostgresWriter::drop_row() noexcept {
  if (state_->ctx.checkpointed) {
    state_->outbox.drop_open_entry();
  } else {
    state_->batch.resize(state_->batch_end);
  }
}

void PostgresWriter::end_of_batch() {
  if (!state_->ctx.checkpointed && state_->batch_end >= kCopyBytes) state_->write_batch();
}

void PostgresWriter::on_idle() {
  if (!state_->ctx.checkpointed) state_->write_batch();
}

void PostgresWriter::finish() {
  state_->finished = true;
  if (!state_->ctx.checkpointed) state_->write_batch();
}

void PostgresWriter::snapshot(StateWriter& state) {
  state_->outbox.snapshot(state);
}

void PostgresWriter::restore(StateReader& state) {
  state_->outbox.restore(state);
}

void PostgresWriter::on_checkpoint_complete(std::uint64_t id) {
  State& s = *state_;
  s.outbox.commit_due(id, s.finished, [&](const HeldEpoch& e) { s.write(e.data, &e); });
}

void check_postgres_uri(const std::string& uri, bool source) {
  (void)parse_postgres_uri(uri, source);
}

}  // namespace sw::detail
