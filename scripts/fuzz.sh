#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz preset: clang-14, ASan + UBSan) and runs each one.
#   --time SECONDS   how long each target runs (default 20)
#   --target NAME    only this target: binary, checkpoint, frame, json, csv, wal or http
#                    (repeatable)
#   --seeds          rewrite the committed seed corpus (tests/fuzz/corpus) first
# Each run starts from the committed corpus; what it finds goes to build/fuzz/corpus/, and a
# crashing input to build/fuzz/crash-*. Exits non-zero on the first target that fails.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=20
targets=()
seeds=false
while (($#)); do
  case "$1" in
    --time) seconds="$2"; shift 2 ;;
    --target) targets+=("$2"); shift 2 ;;
    --seeds) seeds=true; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
((${#targets[@]})) || targets=(binary checkpoint frame json csv wal http)

bash scripts/setup.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
bin=build/fuzz/tests/fuzz
if $seeds; then "$bin/fuzz_make_seeds" tests/fuzz/corpus; fi
# One target: its summary on stdout; non-zero, with the log's end, when it found something.
fuzz_target() {
  local t=$1 work="build/fuzz/corpus/$1" log="build/fuzz/$1.log" status=0
  mkdir -p "$work"
  echo "=== fuzz $t: ${seconds}s"
  "$bin/fuzz_${t}_decode" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix=build/fuzz/ -print_final_stats=1 "$work" "tests/fuzz/corpus/$t" \
    >"$log" 2>&1 || status=$?
  grep -E "^(Done|stat::number_of_executed_units|==[0-9]+==|SUMMARY|artifact)" "$log" || true
  if ((status != 0)); then
    tail -n 40 "$log"
    echo "fuzz.sh: target $t failed (exit $status); the input is in build/fuzz/, the log in $log"
    return 1
  fi
}
# As many targets at a time as there are cores: each is one process on one core, and CI's
# time budget is what the fuzzing shares. Each group's summaries print once it has ended.
at_once=$(nproc)
for ((i = 0; i < ${#targets[@]}; i += at_once)); do
  group=("${targets[@]:i:at_once}") pids=() failed=0
  for t in "${group[@]}"; do
    fuzz_target "$t" >"build/fuzz/$t.summary" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  for t in "${group[@]}"; do cat "build/fuzz/$t.summary"; done
  ((failed == 0)) || exit 1
done
