#!/usr/bin/env bash
# Live metrics against the real thing: a sample pipeline serves --metrics-port, promtool checks
# the text it serves, and a Prometheus server started here (loopback port chosen free, data in
# a temp dir, stopped and removed on any exit) scrapes it until its queries see the figures.
#   prometheus_scrape.sh STREAMWEAVE_CLI
set -euo pipefail
cli=${1:?usage: prometheus_scrape.sh STREAMWEAVE_CLI}
for tool in prometheus promtool curl python3; do
  command -v "$tool" >/dev/null || { echo "FAIL prometheus_scrape: $tool missing (scripts/setup.sh)"; exit 1; }
done
work=$(mktemp -d /tmp/streamweave-prometheus.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL prometheus_scrape: $*"
  for log in "$work"/*.log; do [[ -f $log ]] && { echo "--- $log"; tail -20 "$log"; }; done
  exit 1
}
source "$(dirname "$0")/../../scripts/lib/servers.sh"  # free_port
# Polls `check` (a command) every 0.2 s for up to $1 seconds.
wait_for() {
  local seconds=$1; shift
  for ((i = 0; i < seconds * 5; i++)); do
    if "$@"; then return 0; fi
    sleep 0.2
  done
  return 1
}

# A paced q5 with checkpoints: windows, watermarks and checkpoints all have figures.
"$cli" run q5 --rate 20000 --events 2000000 --threads 2 --no-progress --metrics-port 0 \
  --checkpoint-dir "$work/checkpoints" --checkpoint-interval 500ms \
  >"$work/streamweave.log" 2>"$work/streamweave.err" &
pids+=($!)
listening() { grep -q "metrics at http://127.0.0.1:" "$work/streamweave.err"; }
wait_for 30 listening || fail "the pipeline never said where its metrics are"
port=$(grep -o '127.0.0.1:[0-9]*' "$work/streamweave.err" | head -1 | cut -d: -f2)

sleep 1
curl -sf "http://127.0.0.1:$port/metrics" >"$work/metrics.txt" || fail "GET /metrics failed"
grep -q '^streamweave_node_items_out_total{graph="q5"' "$work/metrics.txt" || fail "no node counters"
promtool check metrics <"$work/metrics.txt" >"$work/promtool.log" 2>&1 || fail "promtool check metrics"
[[ ! -s "$work/promtool.log" ]] || fail "promtool has remarks: $(cat "$work/promtool.log")"

prom_port=$(free_port)
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: streamweave
    static_configs:
      - targets: ["127.0.0.1:$port"]
YAML
promtool check config "$work/prometheus.yml" >/dev/null 2>&1 || fail "promtool check config"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)

# What Prometheus answers for `query`: the first result's value, or nothing.
query() {
  curl -sf --get "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
positive() { local v; v=$(query "$1" 2>/dev/null) && [[ -n $v ]] && python3 -c "import sys; sys.exit(0 if float('$v') > 0 else 1)"; }
wait_for 60 positive 'up{job="streamweave"}' || fail "Prometheus never scraped the pipeline"
wait_for 30 positive 'sum(streamweave_node_items_out_total{node="events"})' ||
  fail "no items out in Prometheus"
wait_for 30 positive 'sum(rate(streamweave_node_items_in_total{node="q5/counts"}[5s]))' ||
  fail "no rate of items in"
wait_for 30 positive 'max(streamweave_checkpoint_last_id)' || fail "no checkpoint figures"
echo "ok prometheus_scrape: up, items out $(query 'sum(streamweave_node_items_out_total{node="events"})')"
