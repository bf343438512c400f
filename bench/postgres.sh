#!/usr/bin/env bash
# The PostgreSQL connectors against psql's \copy and a plain COPY loop, on one PostgreSQL
# cluster made here (initdb in a temp dir, loopback port chosen free, removed at exit).
#   bench/postgres.sh [BUILD_DIR] [--rows N] [--rounds R]
# Per round: psql \copy FROM a CSV of the rows, write_postgresql of the same rows (binary COPY
# per batch) and the ratio; write_postgresql with checkpoints (one transaction per checkpoint);
# read_postgresql against a loop of COPY TO STDOUT that only counts.
set -euo pipefail
build=${1:-build/release}
shift || true
rows=1000000
rounds=3
while (($#)); do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "postgres.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
rate_bin="$build/bench/postgres_rate"
[[ -x $rate_bin ]] || { echo "postgres.sh: build $rate_bin first (cmake --build --preset release --target postgres_rate)" >&2; exit 2; }
source "$(dirname "$0")/../scripts/lib/servers.sh"
work=$(mktemp -d /tmp/streamweave-pg-bench.XXXXXX)
cleanup() {
  stop_servers
  rm -rf "$work"
}
trap cleanup EXIT
start_postgres "$work"
"$rate_bin" --uri "$PG_URI" --rows "$rows" --csv "$work/rows.csv"
chmod 644 "$work/rows.csv"
pg_sql "CREATE TABLE bench_rows (id bigint NOT NULL, path text NOT NULL, minute bigint NOT NULL,
        requests bigint NOT NULL, p99_ms double precision NOT NULL)"
rate() { python3 -c "print(f'{$1/$2:.0f}')"; }
for ((r = 1; r <= rounds; r++)); do
  pg_sql "TRUNCATE bench_rows"
  start=$(date +%s.%N)
  pg_sql "\\copy bench_rows FROM '$work/rows.csv' (FORMAT csv)" >/dev/null
  base=$(rate "$rows" "$(python3 -c "print($(date +%s.%N) - $start)")")
  pg_sql "TRUNCATE bench_rows"
  ours=$("$rate_bin" --uri "$PG_URI" --rows "$rows" --threads 1 --write | grep -o '[0-9]* rows/s' | grep -o '[0-9]*')
  echo "round $r: psql \\copy (CSV): $base rows/s; write_postgresql: $ours rows/s; ratio $(python3 -c "print(f'{$ours/$base:.2f}')")"
  pg_sql "TRUNCATE bench_rows"
  "$rate_bin" --uri "$PG_URI" --rows "$rows" --threads 1 --write --checkpointed | sed "s/^/round $r: /"
  "$rate_bin" --uri "$PG_URI" --rows "$rows" --threads 1 --read | sed "s/^/round $r: /"
done
