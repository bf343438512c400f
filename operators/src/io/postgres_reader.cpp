#include <charconv>
#include <optional>

#include "postgres_uri.hpp"
#include "streamweave/operators/postgresql.hpp"
#include "streamweave/serde/binary.hpp"

namespace sw::detail {

namespace {

// One share of the rows: the split column's values in [low, high], and NULLs if `nulls`; or
// all rows (no split column). `emitted` rows of it were emitted already.
struct Split {
  bool all = false;
  std::int64_t low = 0;
  std::int64_t high = 0;
  bool nulls = false;
  std::uint64_t emitted = 0;
};

// A range's width and its parts: 2^64 values do not fit 64 bits.
__extension__ using Wide = __int128;

std::int64_t to_int64(std::string_view text) {
  std::int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

}  // namespace

struct PostgresReader::State {
  State(const InstanceContext& context, const std::string& text,
        std::vector<pg::ColumnSpec> row_columns, const PostgresOptions& opts)
      : uri(parse_postgres_uri(text, true)),
        ctx(context),
        columns(std::move(row_columns)),
        options(opts) {}

  PostgresUri uri;
  InstanceContext ctx;
  std::vector<pg::ColumnSpec> columns;
  PostgresOptions options;
  std::optional<PostgresClient> client;
  std::optional<std::vector<Split>> splits;  // this instance's, in order; the first is read now
  bool copying = false;                      // a COPY of splits->front() is under way
  // What the COPY sent and was not parsed yet: in libpq's last piece (no copy: a piece is
  // a row), or, when a tuple spans pieces, gathered in `buffer`.
  std::string_view unparsed;
  std::string buffer;
  bool in_buffer = false;
  bool header_read = false;

  PostgresClient& connected() {
    if (!client) client.emplace(uri.address, options.timeout);
    return *client;
  }

  [[nodiscard]] std::string from() const {
    return uri.query.empty() ? client->quote_identifier(uri.table) : "(" + uri.query + ")";
  }

  // This instance's range of the split column: the i-th of p equal parts of [min, max];
  // the first also takes the NULLs.
  void plan() {
    connected();
    if (uri.split.empty()) {
      splits.emplace();
      if (ctx.instance == 0) splits->push_back(Split{.all = true});
      return;
    }
    const std::string column = client->quote_identifier(uri.split);
    const PostgresResult r = client->exec("SELECT min(q." + column + ")::int8, max(q." + column +
                                          ")::int8 FROM " + from() + " AS q");
    splits.emplace();
    const bool empty = r.is_null(0, 0);
    const Wide low = empty ? 0 : to_int64(r.value(0, 0));
    const Wide width = empty ? 0 : static_cast<Wide>(to_int64(r.value(0, 1))) - low + 1;
    const unsigned i = ctx.instance, p = ctx.parallelism;
    Split s{.low = static_cast<std::int64_t>(low + width * i / p),
            .high = static_cast<std::int64_t>(low + width * (i + 1) / p - 1),
            .nulls = i == 0};
    if (s.low <= s.high || s.nulls) splits->push_back(s);
  }

  // COPY (SELECT each member's column, cast to its type, of the split's rows) TO STDOUT.
  void start_copy(const Split& s) {
    std::string select;
    for (const pg::ColumnSpec& col : columns) {
      const std::string q = client->quote_identifier(col.name);
      select += (select.empty() ? "" : ", ") + ("q." + q + "::" + col.sql + " AS " + q);
    }
    std::string sql = "COPY (SELECT " + select + " FROM " + from() + " AS q";
    if (!s.all) {
      const std::string c = "q." + client->quote_identifier(uri.split);
      sql += " WHERE (" + c + " BETWEEN " + std::to_string(s.low) + " AND " +
             std::to_string(s.high) + ")" + (s.nulls ? " OR " + c + " IS NULL" : "");
    }
    if (ctx.checkpointed) {  // an order that OFFSET can resume
      sql += " ORDER BY ";
      if (!s.all) sql += "q." + client->quote_identifier(uri.split) + ", ";
      for (std::size_t k = 1; k <= columns.size(); ++k)
        sql += (k > 1 ? ", " : "") + std::to_string(k);
      if (s.emitted > 0) sql += " OFFSET " + std::to_string(s.emitted);
    }
    client->copy_out(sql + ") TO STDOUT (FORMAT binary)");
    copying = true;
    unparsed = {};
    in_buffer = false;
    header_read = false;
  }

  // A tuple from `unparsed` into `fields`, if it is all there; nullopt: need more; false:
  // the trailer.
  std::optional<bool> parse(pg::TupleFields& fields) {
    const std::string_view in = unparsed;
    std::size_t at = 0;
    if (!header_read) {
      if (in.size() < pg::kCopyHeader.size()) return std::nullopt;
      if (in.substr(0, 11) != pg::kCopyHeader.substr(0, 11)) malformed("no COPY header");
      const auto extension = pg::detail::get_big_endian<std::int32_t>(in.data() + 15);
      if (extension < 0 || in.size() < 19 + static_cast<std::size_t>(extension))
        return std::nullopt;
      at = 19 + static_cast<std::size_t>(extension);
    }
    if (in.size() < at + 2) return std::nullopt;
    const auto count = pg::detail::get_big_endian<std::int16_t>(in.data() + at);
    at += 2;
    if (count == -1) {
      unparsed.remove_prefix(at);
      header_read = true;
      return false;
    }
    if (count < 0) malformed("a tuple of " + std::to_string(count) + " fields");
    fields.clear();
    for (std::int16_t f = 0; f < count; ++f) {
      if (in.size() < at + 4) return std::nullopt;
      const auto length = pg::detail::get_big_endian<std::int32_t>(in.data() + at);
      at += 4;
      if (length == -1) {
        fields.emplace_back(std::nullopt);
        continue;
      }
      if (length < 0) malformed("a field of length " + std::to_string(length));
      if (in.size() < at + static_cast<std::size_t>(length)) return std::nullopt;
      fields.emplace_back(in.substr(at, static_cast<std::size_t>(length)));
      at += static_cast<std::size_t>(length);
    }
    unparsed.remove_prefix(at);
    header_read = true;
    return true;
  }

  [[noreturn]] void malformed(const std::string& what) const {
    throw std::runtime_error(where() + ": the server's COPY data is malformed: " + what);
  }

  [[nodiscard]] std::string where() const {
    std::string out = uri.address.uri() + (uri.query.empty() ? " table " + uri.table : " query");
    if (splits && !splits->empty()) {
      const Split& s = splits->front();
      if (!s.all) {
        out += ", " + uri.split + " in [" + std::to_string(s.low) + ", " + std::to_string(s.high) +
               "]";
      }
      out += ", row " + std::to_string(s.emitted);  // counted from 1: the row just read
    }
    return out;
  }

  bool next(pg::TupleFields& fields) {
    if (!splits) plan();
    while (!splits->empty()) {
      if (!copying) {
        connected();  // restored: not connected by plan()
        start_copy(splits->front());
      }
      if (const std::optional<bool> tuple = parse(fields)) {
        if (*tuple) {
          ++splits->front().emitted;
          return true;
        }
        std::string_view rest;
        while (client->next(rest)) {  // to the end of the COPY (nothing after the trailer)
        }
        copying = false;
        splits->erase(splits->begin());
        continue;
      }
      if (!fetch()) malformed("it ended inside a tuple");
    }
    return false;
  }

  // The next piece of the COPY after what is unparsed; false at its end. What is left of the
  // last piece is kept in `buffer` first: the next call frees that piece.
  bool fetch() {
    if (!unparsed.empty()) {
      if (in_buffer) {
        buffer.erase(0, static_cast<std::size_t>(unparsed.data() - buffer.data()));
      } else {
        buffer.assign(unparsed);
      }
      in_buffer = true;
    } else {
      in_buffer = false;
    }
    std::string_view data;
    if (!client->next(data)) return false;
    if (!in_buffer) {
      unparsed = data;
      return true;
    }
    buffer.append(data);
    unparsed = buffer;
    return true;
  }
};

PostgresReader::PostgresReader(const InstanceContext& ctx, const std::string& uri,
                               std::vector<pg::ColumnSpec> columns, const PostgresOptions& options)
    : state_(std::make_unique<State>(ctx, uri, std::move(columns), options)) {}

PostgresReader::~PostgresReader() = default;

bool PostgresReader::next(pg::TupleFields& fields) {
  return state_->next(fields);
}

std::string PostgresReader::where() const {
  return state_->where();
}

// The splits left and how far each was read; planned first if not yet, so that a restore on
// another parallelism takes over ranges, not a new division of the rows.
void PostgresReader::snapshot(StateWriter& state) {
  if (!state_->splits) state_->plan();
  state.value(*state_->splits);
}

// The splits of the old instances j with j % parallelism == this one's.
void PostgresReader::restore(StateReader& state) {
  State& s = *state_;
  const std::vector<Bytes> saved = state.all_values();
  for (std::size_t j = 0; j < saved.size(); ++j) {
    if (saved[j].empty()) continue;
    if (!s.splits) s.splits.emplace();  // saved: no new plan, even for an instance with none
    if (!state.same_layout() && j % s.ctx.parallelism != s.ctx.instance) continue;
    for (const Split& split : BinaryReader(saved[j]).read<std::vector<Split>>()) {
      s.splits->push_back(split);
    }
  }
}

}  // namespace sw::detail
