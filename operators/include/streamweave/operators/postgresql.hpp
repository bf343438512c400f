// PostgreSQL: write_postgresql(uri) is a sink that writes rows into a table with binary COPY,
// optionally upserting on a key; read_postgresql<T>(uri) a bounded source of a table's or a
// query's rows, split by key range across its instances. A row is a struct described with
// BOOST_DESCRIBE_STRUCT: one column per member, named as the member (io/postgres_binary.hpp
// lists the member types and what they are in PostgreSQL).
//
// URI: postgresql://[[user]:password@]host[:port]/DATABASE?table=T[&parameters]
// (also postgres://; libpq's connection parameters, such as sslmode=, may be added)
//   table=T      the table ("schema.table" allowed; required, except for a source's query=)
//   Sink:
//   key=a,b      upsert: a row whose key is in the table replaces it (INSERT ... ON CONFLICT
//                DO UPDATE; within one commit the last row of a key wins); default: append
//   create=0     do not create a missing table; default 1: create it from the row type
//                (with the key as primary key)
//   Source:
//   query=SQL    read this query's rows instead of a table's (percent-encoded)
//   split=C      an integer column: instance i of p reads the i-th of p equal ranges of C
//                between its least and greatest value; without it, one instance reads all
//
// Sink guarantees. Without checkpoints, rows go in one COPY (its own transaction) per 4 MiB, or
// as soon as the sink's input runs dry; after a lost connection that COPY is written again:
// at least once. With checkpoints, the rows of an
// epoch (between two barriers) are held, saved in the checkpoint, and written when it completes,
// in one transaction that also records (table, instance, epoch) in the table
// streamweave_progress; a restored run writes what a crash cut short and skips what was
// written: each row exactly once. A value PostgreSQL would refuse (text that is not UTF-8) goes
// to the node's error policy; what the server refuses at commit (a constraint) fails the node
// with its message. A server that is down at start fails the node at once, naming the URI; one
// lost later is retried with backoff for PostgresOptions::retry_for, then the node fails.
//
// Source guarantees. Each instance reads its range with one COPY ... TO STDOUT. With
// checkpoints the range is read in a total order (the split column, then every column) and a
// snapshot saves how many rows were emitted: a restored run, on any parallelism, reads on from
// there, so each row is emitted once into the state. A lost connection fails the node with the
// cause (a restore reads on from the last checkpoint).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "streamweave/engine/instance.hpp"
#include "streamweave/operators/io/postgres_binary.hpp"
#include "streamweave/operators/io/writer_sink.hpp"

namespace sw {

struct PostgresOptions {
  // A server lost mid-run is reconnected with backoff (50 ms doubling to 1 s) for this long.
  std::chrono::milliseconds retry_for{30'000};
  // The connect timeout (libpq counts whole seconds, at least 2).
  std::chrono::milliseconds timeout{5'000};
};

namespace detail {

// The sink's PostgreSQL half, whatever its row type: rows encoded by the caller, written by
// batch or held and written by checkpoint, as the file above says. The sink's task.
class PostgresWriter {
 public:
  PostgresWriter(const InstanceContext& ctx, const std::string& uri,
                 std::vector<pg::ColumnSpec> columns, const PostgresOptions& options);
  ~PostgresWriter();
  // Where the next row is encoded (pg::encode_row); end_row() takes it, drop_row() cuts off
  // what a failed encoding left.
  [[nodiscard]] std::string& rows() noexcept { return *rows_; }
  void open();  // connects, and prepares the table
  void end_row();
  void drop_row() noexcept;
  void end_of_batch();
  void on_idle();
  void finish();
  void snapshot(StateWriter& state);
  void restore(StateReader& state);
  void on_checkpoint_complete(std::uint64_t id);

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::string* rows_;
};

// Throws std::invalid_argument naming what is wrong with a postgresql:// URI for a sink (or
// for a source: `source`).
void check_postgres_uri(const std::string& uri, bool source);

template <pg::PostgresRow T>
class PostgresSink final : public WriterSink<T, PostgresWriter> {
 public:
  PostgresSink(const InstanceContext& ctx, const std::string& uri, const PostgresOptions& options)
      : WriterSink<T, PostgresWriter>(ctx, uri, pg::columns_of<T>(), options) {}
  void push_items(BatchPtr<T> batch) override {
    this->consume_each(*batch, [this](const T& row) {
      try {
        pg::encode_row(this->writer_.rows(), row);
      } catch (...) {
        this->writer_.drop_row();
        throw;
      }
      this->writer_.end_row();
    });
    this->guarded([this] { this->writer_.end_of_batch(); });
  }
  void on_idle() override {
    this->guarded([this] { this->writer_.on_idle(); });
  }
};

// The source's PostgreSQL half: one instance's share of the rows, tuple by tuple.
class PostgresReader {
 public:
  PostgresReader(const InstanceContext& ctx, const std::string& uri,
                 std::vector<pg::ColumnSpec> columns, const PostgresOptions& options);
  ~PostgresReader();
  // The next tuple's fields into `fields` (valid until the next call); false at the end.
  bool next(pg::TupleFields& fields);
  // Where the reader is, for messages: "postgresql://.../db table t, range 3 of 4, row 17".
  [[nodiscard]] std::string where() const;
  void snapshot(StateWriter& state);
  void restore(StateReader& state);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

template <pg::PostgresRow T>
class PostgresSource final : public SourceBase<T> {
 public:
  PostgresSource(const InstanceContext& ctx, const std::string& uri, const PostgresOptions& options)
      : SourceBase<T>(ctx), reader_(ctx, uri, pg::columns_of<T>(), options) {}
  [[nodiscard]] Checkpointing checkpointing() const noexcept override {
    return Checkpointing::saves_state;
  }
  void snapshot(StateWriter& state) override { reader_.snapshot(state); }
  void restore(StateReader& state) override { reader_.restore(state); }

 protected:
  bool on_produce(std::size_t max_items) override {
    // A failure names the row it is at, not the first of the call.
    return detail::failing_at(
        this->ctx_, [this] { return position_; },
        [&] {
          for (std::size_t n = 0; n < max_items; ++n) {
            if (!reader_.next(fields_)) return false;
            try {
              this->emit(pg::decode_row<T>(fields_));
            } catch (const std::exception& e) {
              throw std::runtime_error(reader_.where() + ": " + e.what());
            }
            ++position_;
          }
          return true;
        });
  }

 private:
  PostgresReader reader_;
  pg::TupleFields fields_;
  std::uint64_t position_ = 0;
};

}  // namespace detail

template <pg::PostgresRow T>
struct PostgresSourceSpec {
  using value_type = T;
  static constexpr const char* op_name = "read_postgresql";
  std::string uri;
  PostgresOptions options;
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    return std::make_unique<detail::PostgresSource<T>>(ctx, uri, options);
  }
};

struct PostgresSinkSpec {
  static constexpr const char* op_name = "write_postgresql";
  std::string uri;
  PostgresOptions options;
  template <class T>
  [[nodiscard]] std::unique_ptr<OperatorInstance> instantiate(const InstanceContext& ctx) const {
    static_assert(pg::PostgresRow<T>,
                  "write_postgresql: the item type must be a struct described with "
                  "BOOST_DESCRIBE_STRUCT whose members are all PostgreSQL columns "
                  "(see streamweave/operators/io/postgres_binary.hpp)");
    return std::make_unique<detail::PostgresSink<T>>(ctx, uri, options);
  }
};

// Both throw std::invalid_argument at once for a malformed URI; the server is reached when
// the graph runs.
template <pg::PostgresRow T>
[[nodiscard]] PostgresSourceSpec<T> read_postgresql(std::string uri, PostgresOptions options = {}) {
  detail::check_postgres_uri(uri, true);
  return {std::move(uri), options};
}
[[nodiscard]] inline PostgresSinkSpec write_postgresql(std::string uri,
                                                       PostgresOptions options = {}) {
  detail::check_postgres_uri(uri, false);
  return {std::move(uri), options};
}

}  // namespace sw
