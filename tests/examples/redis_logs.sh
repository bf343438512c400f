#!/usr/bin/env bash
# The logs pipeline from a Redis stream into a Redis stream, from the command line, against a
# real redis-server (loopback port chosen free, data in a temp dir, stopped and removed on
# any exit): JSON lines pushed with redis-cli --pipe, read by a consumer group with
# checkpoints, the per-minute rows written as JSON entries; every entry acknowledged.
#   redis_logs.sh STREAMWEAVE_CLI
set -euo pipefail
cli=${1:?usage: redis_logs.sh STREAMWEAVE_CLI}
for tool in redis-server redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "FAIL redis_logs: $tool missing (scripts/setup.sh)"; exit 1; }
done
source "$(dirname "$0")/../../scripts/lib/servers.sh"
work=$(mktemp -d /tmp/streamweave-redis.XXXXXX)
cleanup() {
  stop_servers
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL redis_logs: $*"
  for log in "$work"/*.log; do [[ -f $log ]] && { echo "--- $log"; tail -20 "$log"; }; done
  exit 1
}
start_redis "$work" || fail "redis-server did not start"
port=$REDIS_PORT
rc() { redis-cli -p "$port" "$@"; }

# 3000 requests over 7 paths, 100 ms apart (5 minutes of event time), and one bad line.
for ((i = 0; i < 3000; i++)); do
  printf '{"time_ms": %d, "method": "GET", "path": "/p%d", "status": %d, "latency_ms": %d.5}\n' \
    $((1795392000000 + i * 100)) $((i % 7)) $((i % 100 == 0 ? 503 : 200)) $((i % 50))
done >"$work/logs.jsonl"
echo '{"time_ms": oops' >>"$work/logs.jsonl"
awk '{printf "*5\r\n$4\r\nXADD\r\n$4\r\nlogs\r\n$1\r\n*\r\n$4\r\ndata\r\n$%d\r\n%s\r\n", length($0), $0}' \
  "$work/logs.jsonl" | rc --pipe >"$work/push.log" || fail "redis-cli --pipe"
[[ $(rc xlen logs) == 3001 ]] || fail "pushed $(rc xlen logs) entries, not 3001"

"$cli" run logs --input "redis://127.0.0.1:$port/logs?group=minutes&drain=1" \
  --output "redis://127.0.0.1:$port/minutes" --threads 2 --no-progress \
  --checkpoint-dir "$work/checkpoints" --checkpoint-interval 50ms >"$work/run.log" 2>&1 ||
  fail "the run failed"
grep -q "3000 requests in 35 path-minutes; 1 bad lines skipped" "$work/run.log" ||
  fail "not the expected summary"
[[ $(rc xlen minutes) == 35 ]] || fail "$(rc xlen minutes) rows in the output stream, not 35"
rc xrange minutes - + | grep -q '"path":"/p0","minute":1795392000000,"requests":86' ||
  fail "no row for /p0 in minute 0"
[[ $(rc xpending logs minutes | head -1) == 0 ]] || fail "entries left unacknowledged"

# A bad URI is a usage error that names the parameter; a server that is not there, the URI.
"$cli" run logs --input "redis://127.0.0.1:$port/logs?grup=x" >"$work/bad.log" 2>&1 && fail "a bad URI ran"
grep -q "no parameter 'grup'" "$work/bad.log" || fail "the bad parameter is not named"
down=$(free_port)
"$cli" run logs --input "redis://127.0.0.1:$down/logs" --no-progress >"$work/down.log" 2>&1 &&
  fail "a run against no server succeeded"
grep -q "cannot connect to redis://127.0.0.1:$down/logs" "$work/down.log" || fail "the URI is not named"
echo "ok redis_logs"
