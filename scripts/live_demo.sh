#!/usr/bin/env bash
# The sample's whole path, live: JSON access logs pushed into a Redis stream, the logs
# pipeline reading it continuously with checkpoints, its per-minute rows upserted into
# PostgreSQL. A real redis-server and a real PostgreSQL cluster are started here (loopback
# ports chosen free, data in a temp dir, all removed at exit).
#   bash scripts/live_demo.sh [--rate 20000] [--seconds 20] [--backlog 1000000]
#                             [--checkpoint-interval 100ms] [--build build/release]
# Prints two figures:
#   throughput: --backlog lines pushed first, then read with drain=1: lines/s from start to end;
#   latency: lines pushed at --rate for --seconds while the job runs, event time 60 times
#   faster than the clock (a minute's window closes every second). For each row, from the XADD
#   of the line that closed its window (event time minute + 65 s: the window and the
#   pipeline's 5 s of out-of-orderness) to the row's commit in PostgreSQL (a trigger stamps
#   it); P50, P99 and max over the rows.
set -euo pipefail
cd "$(dirname "$0")/.."
rate=20000 seconds=20 backlog=1000000 interval=100ms build=build/release
while (($#)); do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --backlog) backlog=$2; shift 2 ;;
    --checkpoint-interval) interval=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "live_demo.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh >/dev/null
if [[ ! -x $build/examples/streamweave || ! -x $build/bench/live_logs ]]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target streamweave_cli live_logs >/dev/null
fi
cli=$build/examples/streamweave
source scripts/lib/servers.sh
work=$(mktemp -d /tmp/streamweave-live.XXXXXX)
job=""
cleanup() {
  [[ -n $job ]] && { kill "$job" 2>/dev/null || true; wait "$job" 2>/dev/null || true; }
  stop_servers
  rm -rf "$work"
}
trap cleanup EXIT
start_redis "$work"
start_postgres "$work"
redis="redis://127.0.0.1:$REDIS_PORT"
for table in backlog_minutes path_minutes; do
  pg_sql "CREATE TABLE $table (path text NOT NULL, minute bigint NOT NULL,
          requests bigint NOT NULL, errors bigint NOT NULL, p99_ms double precision NOT NULL,
          committed_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (path, minute))"
done
pg_sql "CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS
        'BEGIN NEW.committed_at := clock_timestamp(); RETURN NEW; END'"
pg_sql "CREATE TRIGGER stamp BEFORE UPDATE ON path_minutes FOR EACH ROW EXECUTE FUNCTION stamp()"

echo "== throughput: $backlog lines pushed, then read to the end"
"$build/bench/live_logs" --uri "$redis/backlog" --events "$backlog" >/dev/null
start=$(date +%s.%N)
"$cli" run logs --input "$redis/backlog?group=demo&drain=1" \
  --output "$PG_URI?table=backlog_minutes&key=path,minute" --no-progress \
  --checkpoint-dir "$work/backlog-checkpoints" --checkpoint-interval 1s >"$work/backlog.log" 2>&1 ||
  { tail -20 "$work/backlog.log"; exit 1; }
elapsed=$(python3 -c "print($(date +%s.%N) - $start)")
grep "requests in" "$work/backlog.log"
echo "rows in backlog_minutes: $(pg_sql "SELECT count(*) FROM backlog_minutes")"
python3 -c "print(f'end to end: $backlog lines in {$elapsed:.2f} s: {$backlog / $elapsed:,.0f} lines/s')"

echo "== latency: $rate lines/s for $seconds s into a running job (checkpoints every $interval)"
"$cli" run logs --input "$redis/live?group=demo" \
  --output "$PG_URI?table=path_minutes&key=path,minute" --no-progress \
  --checkpoint-dir "$work/live-checkpoints" --checkpoint-interval "$interval" >"$work/live.log" 2>&1 &
job=$!
sleep 1
times=$("$build/bench/live_logs" --uri "$redis/live" --rate "$rate" --seconds "$seconds")
sleep 2
kill -INT "$job"
wait "$job" || true
job=""
t0=$(sed 's/^start_ms=\([0-9]*\).*/\1/' <<<"$times")
e0=$(sed 's/.*event_start_ms=\([0-9]*\).*/\1/' <<<"$times")
pg_sql "SELECT format('%s rows committed; latency XADD -> commit: P50 %s ms, P99 %s ms, max %s ms',
          count(*), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY l)::numeric),
          round(percentile_cont(0.99) WITHIN GROUP (ORDER BY l)::numeric), round(max(l)::numeric))
        FROM (SELECT extract(epoch FROM committed_at) * 1000 - ($t0 + (minute + 65000 - $e0) / 60.0) AS l
              FROM path_minutes) x"
echo "busiest rows:"
pg_sql "SELECT path, (minute - $e0) / 60000 AS minute, requests, errors, p99_ms FROM path_minutes
        ORDER BY requests DESC, minute LIMIT 5" | column -t -s '|'
