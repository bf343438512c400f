#!/usr/bin/env bash
# Hostile-input attacks on the `streamweave` tool, each with what must happen (docs/reliability.md).
#   scripts/reliability.sh [--cli PATH] [--list] [CASE...]   (default: every case)
# Each case runs in a temporary directory of its own (also TMPDIR), removed afterwards; it
# prints "ok CASE" or "FAIL CASE: why" and the script exits non-zero if any case failed.
set -uo pipefail
cd "$(dirname "$0")/.."
cli=build/release/examples/streamweave
cases=()
list=false
while (($#)); do
  case "$1" in
    --cli) cli=$2; shift ;;
    --list) list=true ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) cases+=("$1") ;;
  esac
  shift
done
cli=$(realpath "$cli")

# Ends the case (each runs in a subshell of its own) as failed.
fail() { echo "FAIL $case: $*"; exit 1; }
# Runs the tool in the background; `$pid` is its process.
start() { "$cli" "$@" >out.txt 2>err.txt & pid=$!; }
# Waits for $pid at most $1 seconds; `$rc` is its exit status (124: still running, killed).
finish() {
  local waited=0
  while kill -0 "$pid" 2>/dev/null && ((waited < $1 * 10)); do sleep 0.1; ((waited++)); done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; wait "$pid" 2>/dev/null; rc=124; return; fi
  wait "$pid"; rc=$?
}
# Waits until a file matching the glob $1 exists (at most 30 s); `$found` is its name.
appears() {
  local i
  for ((i = 0; i < 300; i++)); do
    found=$(compgen -G "$1" | head -1) && [[ -n $found ]] && return 0
    sleep 0.1
  done
  return 1
}
no_temp_files() {
  local left
  left=$(find . "$TMPDIR" -name '*.streamweave-*.tmp' 2>/dev/null | sort -u)
  [[ -z "$left" ]] || fail "temporary files left: $left"
}

case_sigint_mid_run() {  # SIGINT while q0 writes its rows: prompt stop, summary, 130, no files
  start run q0 --events 200000000 --output rows.jsonl --no-progress
  appears 'rows.jsonl.streamweave-*.tmp' || fail "no temporary file appeared"
  sleep 0.5; kill -INT "$pid"; finish 10
  ((rc == 130)) || fail "exit $rc, not 130"
  grep -q "stopped by SIGINT" err.txt || fail "no word of the signal: $(cat err.txt)"
  grep -q "^events [0-9]" out.txt || fail "no summary"
  [[ ! -e rows.jsonl ]] || fail "partial output left as rows.jsonl"
  no_temp_files
}

case_sigterm_mid_run() {  # the same for SIGTERM (kill's default), in wordcount
  start run wordcount --events 400000000 --output counts.txt --no-progress
  sleep 1.5; kill -TERM "$pid"; finish 10
  ((rc == 143)) || fail "exit $rc, not 143"
  grep -q "stopped by SIGTERM" err.txt || fail "no word of the signal"
  [[ ! -e counts.txt ]] || fail "partial output left"
  no_temp_files
}

case_sigterm_while_generating() {  # a signal while the sample input is written: it is removed
  start run logs --events 400000000 --no-progress
  sleep 1; kill -TERM "$pid"; finish 10
  ((rc == 143)) || fail "exit $rc, not 143"
  grep -q "while generating the sample input" err.txt || fail "$(cat err.txt)"
  no_temp_files
}

case_sigkill_then_rerun() {  # SIGKILL cannot be caught: the next run removes what it left
  start run q0 --events 200000000 --output rows.jsonl --no-progress
  appears 'rows.jsonl.streamweave-*.tmp' || fail "no temporary file appeared"
  local temp=$found
  sleep 0.5; kill -KILL "$pid"; finish 5
  [[ -e $temp ]] || fail "SIGKILL left no temporary file to clean (test broken?)"
  touch "rows.jsonl.streamweave-otherhost-1.tmp"  # another machine's (shared disk): kept
  "$cli" run q0 --events 1000 --output rows.jsonl >/dev/null 2>&1 || fail "rerun failed"
  [[ ! -e $temp ]] || fail "the dead process's $temp is still there"
  [[ -e rows.jsonl.streamweave-otherhost-1.tmp ]] || fail "another host's file was removed"
  [[ $(wc -l <rows.jsonl) -eq 920 ]] || fail "rows.jsonl has $(wc -l <rows.jsonl) rows"
}

case_output_fifo() {  # a FIFO stays a FIFO and its reader gets every row
  mkfifo pipe
  (wc -l <pipe >count.txt) &
  "$cli" run q0 --events 1000 --output pipe >/dev/null || fail "run failed"
  wait
  [[ -p pipe ]] || fail "the FIFO was replaced"
  [[ $(cat count.txt) -eq 920 ]] || fail "the reader got $(cat count.txt) rows"
}

case_output_device() {  # a device node (a private /dev/null made here) stays a device
  mknod null c 1 3 2>/dev/null || { echo "skip $case: mknod not permitted"; return 0; }
  "$cli" run q0 --events 1000 --output null >/dev/null || fail "run failed"
  [[ -c null ]] || fail "the device node was replaced by a regular file"
}

case_output_dev_fd() {  # bash process substitution, /dev/fd/N
  "$cli" run q0 --events 1000 --output >(wc -l >count.txt) >/dev/null || fail "run failed"
  sleep 0.5
  [[ $(cat count.txt) -eq 920 ]] || fail "the process got $(cat count.txt) rows"
}

case_output_stdout_is_data_only() {  # --output -: stdout holds the JSON lines and nothing else
  "$cli" run q0 --events 1000 --output - >rows.jsonl 2>report.txt || fail "run failed"
  [[ $(wc -l <rows.jsonl) -eq 920 ]] || fail "$(wc -l <rows.jsonl) lines on stdout"
  grep -qv '^{.*}$' rows.jsonl && fail "stdout has a line that is not a JSON object"
  grep -q "rows from 1000 events" report.txt || fail "the report is not on stderr"
}

case_output_bad_path() {  # an unwritable --output is a usage error before the run, naming it
  local started=$SECONDS
  "$cli" run q0 --events 100000000 --output missing/dir/rows.jsonl >out.txt 2>err.txt; rc=$?
  ((rc == 2)) || fail "exit $rc, not 2"
  grep -q "cannot write missing/dir/rows.jsonl" err.txt || fail "$(cat err.txt)"
  ((SECONDS - started < 5)) || fail "it ran first"
}

case_output_symlink() {  # a link to a file: the file gets the rows, the link stays a link
  echo old >target.jsonl; ln -s target.jsonl link.jsonl
  "$cli" run q0 --events 1000 --output link.jsonl >/dev/null || fail "run failed"
  [[ -L link.jsonl ]] || fail "the link was replaced"
  [[ $(wc -l <target.jsonl) -eq 920 ]] || fail "target has $(wc -l <target.jsonl) lines"
}

usage_error() {  # usage_error PATTERN ARGS...: exit 2, a message matching PATTERN
  local pattern=$1; shift
  "$cli" "$@" >out.txt 2>err.txt; rc=$?
  ((rc == 2)) || fail "'$*' exited $rc, not 2"
  grep -q -- "$pattern" err.txt || fail "'$*' said: $(cat err.txt)"
}

case_option_values() {  # absurd option values: clear usage errors, nothing runs
  usage_error "-1 is not in" run bids --events -1 || return 1
  usage_error "is not in" run bids --events 99999999999999999999999 || return 1
  usage_error "nan is not in" run bids --rate nan || return 1
  usage_error "inf is not in" run bids --rate inf || return 1
  usage_error "0 is not in \[1, 1048576\]" run bids --batch 0 || return 1
  usage_error "4294967296 is not in" run bids --batch 4294967296 || return 1
  usage_error "1000 is not in \[0, 256\]" run bids --threads 1000 || return 1
  usage_error "takes --rate 1000000 at most" run q1 --rate 2000000 || return 1
  usage_error "abc is not a number" run bids --events abc || return 1
  "$cli" run --help | grep -- "--mode inprocess|distributed" >/dev/null || fail "--mode help garbled"
}

case_events_zero() {  # --events 0: an empty run that completes
  "$cli" run bids --events 0 >out.txt 2>&1 || fail "exit $?: $(cat out.txt)"
  grep -q "^0 bids converted" out.txt || fail "$(head -3 out.txt)"
}

case_input_directory() {  # a directory as --input: a clear error naming it
  mkdir in.d
  "$cli" run wordcount --input in.d >out.txt 2>err.txt; rc=$?
  ((rc == 1 || rc == 2)) || fail "exit $rc"
  grep -q "in.d" err.txt && grep -qi "directory" err.txt || fail "$(cat err.txt)"
}

case_input_truncated_while_read() {  # truncate -s 0 on a mapped input mid-run: no SIGBUS
  "$cli" run wordcount --events 1 >/dev/null  # warm up
  yes 'the quick brown fox jumps over the lazy dog and then some more words' |
    head -c 600000000 >big.txt
  start run wordcount --input big.txt --output counts.txt --threads 2 --batch 64 --no-progress
  sleep 0.4; truncate -s 0 big.txt; finish 60
  ((rc == 1)) || fail "exit $rc, not 1 (135 is SIGBUS): $(tail -2 err.txt)"
  grep -q "big.txt shrank while being read" err.txt || fail "$(cat err.txt)"
  [[ ! -e counts.txt ]] || fail "partial output written"
  no_temp_files
}

case_long_line_through_pipe() {  # a 40 MB line via `cat |` (was quadratic: 63 s): seconds
  { echo "a b"; head -c 40000000 /dev/zero | tr '\0' 'w'; echo; echo "c"; } >long.txt
  local started=$SECONDS
  cat long.txt | "$cli" run wordcount --input - --no-progress >out.txt 2>err.txt ||
    fail "exit $?: $(cat err.txt)"
  grep -q "^4 words, 4 distinct, from 3 lines" out.txt || fail "$(head -2 out.txt)"
  ((SECONDS - started < 30)) || fail "took $((SECONDS - started)) s"
}

case_dev_zero_input() {  # endless input without line ends: the line limit, not bad_alloc
  "$cli" run wordcount --input /dev/zero --max-line-bytes 8000000 >out.txt 2>err.txt; rc=$?
  ((rc == 1)) || fail "exit $rc"
  grep -q "/dev/zero:1 (byte 0): a record longer than 8000000 bytes" err.txt || fail "$(cat err.txt)"
}

case_urandom_on_stdin() {  # random bytes as text and as JSON lines: an answer or an error, no crash
  head -c 20000000 /dev/urandom >random.bin
  "$cli" run wordcount --input - <random.bin >out.txt 2>err.txt || fail "wordcount: exit $?"
  grep -q "words, .* distinct" out.txt || fail "wordcount: $(head -2 out.txt)"
  "$cli" run logs --input - <random.bin >out.txt 2>err.txt || fail "logs: exit $?"
  grep -q "bad lines skipped" out.txt && grep -q "errors skipped at logs.parse; the first:" out.txt ||
    fail "logs: $(head -3 out.txt)"
}

case_bad_lines_located() {  # skipped JSON lines are named (file, line, byte); --max-errors fails
  printf '%s\n' '{"time_ms": 1, "method": "GET", "path": "/", "status": 200, "latency_ms": 1}' \
    'not json' '{"time_ms": 2, "method": "GET", "path": "/", "status": "x", "latency_ms": 1}' >in.jsonl
  "$cli" run logs --input in.jsonl >out.txt 2>&1 || fail "exit $?"
  grep -q "in.jsonl:2: .*byte 77)" out.txt || fail "line 2 not named: $(cat out.txt)"
  grep -q "in.jsonl:3: field 'status'" out.txt || fail "line 3 not named"
  "$cli" run logs --input in.jsonl --max-errors 1 >out.txt 2>err.txt; rc=$?
  ((rc == 1)) || fail "--max-errors 1 with 2 bad lines: exit $rc"
  grep -q "more than 1 errors" err.txt || fail "$(cat err.txt)"
  "$cli" run logs --input in.jsonl --max-errors 2 >/dev/null 2>&1 || fail "--max-errors 2 failed"
}

# Sanitizer builds inflate RSS many times over: memory bounds hold in a release build only.
# Not `ldd | grep -q`: under pipefail, grep quitting at its first match can kill ldd with
# SIGPIPE and turn a match into a failure (a TSan build then ran the release-only bounds).
sanitized() {
  local libs
  libs=$(ldd "$cli" 2>/dev/null || true)
  [[ $libs == *libasan* || $libs == *libtsan* ]]
}
# The run's peak RSS in MiB, from its --metrics-json file $1.
peak_rss_mib() { sed -n 's/.*"peak_rss_bytes": *\([0-9]*\).*/\1/p' "$1" | awk '{print int($1 / 1048576)}'; }

case_slow_sink() {  # a reader of stdout at ~14 MB/s: backpressure holds the run, RSS stays flat
  if sanitized; then echo "skip $case (RSS bound: release builds only)"; exit 0; fi
  "$cli" run q0 --events 500000 --threads 2 --output - --metrics-json m.json 2>err.txt |
    { while :; do
        n=$(dd bs=1M count=1 iflag=fullblock status=none | tee -a rows.jsonl | wc -c)
        ((n > 0)) || break
        sleep 0.04
      done; }
  rc=${PIPESTATUS[0]}
  ((rc == 0)) || fail "exit $rc: $(cat err.txt)"
  local rows peak
  rows=$(wc -l <rows.jsonl)
  ((rows == 460000)) || fail "$rows rows, not the 460000 bids of 500000 events"
  grep -q '"blocked_seconds": *[1-9]' m.json || fail "the run was never held back: $(cat err.txt)"
  peak=$(peak_rss_mib m.json)
  ((peak < 48)) || fail "peak RSS $peak MiB behind a slow reader (bound: 48 MiB)"
}

case_windows_on_two_threads() {  # q5 on 2 threads: its window state stays flat (was: +12 MB/s)
  if sanitized; then echo "skip $case (RSS bound: release builds only)"; exit 0; fi
  "$cli" run q5 --events 30000000 --threads 2 --output /dev/null --metrics-json m.json \
    >out.txt 2>err.txt || fail "exit $?: $(cat err.txt)"
  local peak
  peak=$(peak_rss_mib m.json)
  ((peak < 40)) || fail "peak RSS $peak MiB (bound: 40 MiB; 1 thread needs ~10)"
  # Windows held: 15 000 - 27 000 at ~5 M events/s; 100 000 - 280 000 when this VM ran at
  # ~4 M events/s (its two vCPUs then run unevenly, a starved source thread lets event time
  # drift, and nothing aligns the sources' watermarks yet); ~1 500 000 before the channels
  # were fair (1 970 000 at 40 M events).
  local windows
  windows=$(awk '$1 == "q5/counts" && NF == 4 {print $2}' out.txt)
  [[ -n $windows ]] || fail "no state line for q5/counts: $(cat out.txt)"
  ((windows < 800000)) || fail "q5/counts held $windows windows (bound: 800 000)"
}

all_cases=$(declare -F | sed -n 's/^declare -f case_//p')
if $list; then echo "$all_cases"; exit 0; fi
((${#cases[@]})) || read -r -a cases <<<"$(echo $all_cases)"
failed=0
for case in "${cases[@]}"; do
  if ! declare -F "case_$case" >/dev/null; then echo "FAIL $case: no such case"; failed=1; continue; fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/streamweave-reliability.XXXXXX")
  if (cd "$work" && export TMPDIR=$work && "case_$case"); then echo "ok $case"; else failed=1; fi
  rm -rf "$work"
done
exit $failed
