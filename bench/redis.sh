#!/usr/bin/env bash
# The Redis Streams connectors against redis-benchmark and a plain client loop, on one
# redis-server started here (loopback port chosen free, no persistence, removed at exit).
#   bench/redis.sh [BUILD_DIR] [--entries N] [--rounds R]
# Prints, per round, redis-benchmark's pipelined XADD rate (pipeline depth = the batch size),
# write_redis_stream's rate and their ratio; then the source against the plain loop
# (bench/redis_rate.cpp says what each measures).
set -euo pipefail
build=${1:-build/release}
shift || true
entries=1000000
rounds=3
while (($#)); do
  case "$1" in
    --entries) entries=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "redis.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
rate_bin="$build/bench/redis_rate"
[[ -x $rate_bin ]] || { echo "redis.sh: build $rate_bin first (cmake --build --preset release --target redis_rate)" >&2; exit 2; }
source "$(dirname "$0")/../scripts/lib/servers.sh"
work=$(mktemp -d /tmp/streamweave-redis-bench.XXXXXX)
cleanup() {
  stop_servers
  rm -rf "$work"
}
trap cleanup EXIT
start_redis "$work"
port=$REDIS_PORT
value=vvvvvvvvvvvvvvvv  # 16 bytes, as redis_rate's default
for ((r = 1; r <= rounds; r++)); do
  redis-cli -p "$port" flushall >/dev/null
  base=$(redis-benchmark -p "$port" -n "$entries" -P 1024 -q XADD rb '*' data "$value" |
    grep -o '[0-9.]* requests per second' | head -1 | cut -d' ' -f1)
  redis-cli -p "$port" flushall >/dev/null
  out=$("$rate_bin" --uri "redis://127.0.0.1:$port" --entries "$entries" --threads 1)
  ours=$(grep -o 'write_redis_stream: [0-9]*' <<<"$out" | grep -o '[0-9]*$')
  echo "round $r: redis-benchmark XADD -P 1024: $base/s; write_redis_stream: $ours/s; ratio $(python3 -c "print(f'{$ours/$base:.2f}')")"
  grep read_redis_stream <<<"$out" | sed "s/^/round $r: /"
  redis-cli -p "$port" flushall >/dev/null
  "$rate_bin" --uri "redis://127.0.0.1:$port" --entries "$entries" --threads 1 --checkpointed |
    grep write_redis_stream | sed "s/^/round $r: /"
done
