#!/usr/bin/env bash
# The sample's whole path from the command line: JSON access logs pushed into a Redis stream,
# the logs pipeline reading it with checkpoints, its per-minute rows upserted into a
# PostgreSQL table; against a real redis-server and a real PostgreSQL cluster (loopback ports
# chosen free, data in a temp dir, stopped and removed on any exit). Run twice over the same
# stream with a new consumer group: the upsert leaves each row once.
#   redis_postgres_logs.sh STREAMWEAVE_CLI
set -euo pipefail
cli=${1:?usage: redis_postgres_logs.sh STREAMWEAVE_CLI}
source "$(dirname "$0")/../../scripts/lib/servers.sh"
for tool in redis-server redis-cli psql python3; do
  command -v "$tool" >/dev/null || { echo "FAIL redis_postgres_logs: $tool missing (scripts/setup.sh)"; exit 1; }
done
work=$(mktemp -d /tmp/streamweave-e2e.XXXXXX)
cleanup() {
  stop_servers
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL redis_postgres_logs: $*"
  for log in "$work"/*.log; do [[ -f $log ]] && { echo "--- $log"; tail -20 "$log"; }; done
  exit 1
}
start_redis "$work" || fail "redis-server did not start"
start_postgres "$work" || fail "postgres did not start"

# 3000 requests over 7 paths, 100 ms apart (5 minutes of event time), and one bad line.
for ((i = 0; i < 3000; i++)); do
  printf '{"time_ms": %d, "method": "GET", "path": "/p%d", "status": %d, "latency_ms": %d.5}\n' \
    $((1795392000000 + i * 100)) $((i % 7)) $((i % 100 == 0 ? 503 : 200)) $((i % 50))
done >"$work/logs.jsonl"
echo '{"time_ms": oops' >>"$work/logs.jsonl"
awk '{printf "*5\r\n$4\r\nXADD\r\n$4\r\nlogs\r\n$1\r\n*\r\n$4\r\ndata\r\n$%d\r\n%s\r\n", length($0), $0}' \
  "$work/logs.jsonl" | redis-cli -p "$REDIS_PORT" --pipe >"$work/push.log" || fail "redis-cli --pipe"

for group in first second; do
  "$cli" run logs --input "redis://127.0.0.1:$REDIS_PORT/logs?group=$group&drain=1" \
    --output "$PG_URI?table=path_minutes&key=path,minute" --threads 2 --no-progress \
    --checkpoint-dir "$work/checkpoints-$group" --checkpoint-interval 50ms >"$work/run.log" 2>&1 ||
    fail "the run with group $group failed"
  grep -q "3000 requests in 35 path-minutes; 1 bad lines skipped" "$work/run.log" ||
    fail "not the expected summary"
done
[[ $(pg_sql "SELECT count(*) FROM path_minutes") == 35 ]] ||
  fail "$(pg_sql "SELECT count(*) FROM path_minutes") rows in the table, not 35"
[[ $(pg_sql "SELECT sum(requests) FROM path_minutes") == 3000 ]] || fail "requests do not add up"
[[ $(pg_sql "SELECT requests FROM path_minutes WHERE path = '/p0' AND minute = 1795392000000") == 86 ]] ||
  fail "no row for /p0 in minute 0"
[[ $(pg_sql "SELECT count(*) FROM streamweave_progress WHERE sink = 'path_minutes'") -ge 1 ]] ||
  fail "no progress recorded"

# A bad URI is a usage error that names the parameter; a server that is not there, the URI.
"$cli" run logs --output "$PG_URI?table=t&kee=path" >"$work/bad.log" 2>&1 && fail "a bad URI ran"
grep -q "no parameter 'kee'" "$work/bad.log" || fail "the bad parameter is not named"
"$cli" run wordcount --output "$PG_URI?table=t" >"$work/bad.log" 2>&1 && fail "wordcount wrote to postgresql"
grep -q "logs pipeline only" "$work/bad.log" || fail "wordcount's refusal does not say why"
down=$(free_port)
"$cli" run logs --output "postgresql://127.0.0.1:$down/db?table=t" --no-progress >"$work/down.log" 2>&1 &&
  fail "a run against no server succeeded"
grep -q "cannot connect to postgresql://127.0.0.1:$down/db" "$work/down.log" || fail "the URI is not named"
echo "ok redis_postgres_logs"
