#!/usr/bin/env bash
# Kills a checkpointed `streamweave run` with SIGKILL at random moments and restarts it until
# it finishes; its committed output must equal an uninterrupted run's, line for line (sorted:
# the pipelines promise no order across keys). Nothing missing, nothing twice.
#   crash_restart.sh [--cli PATH] [--kills N] [--pipeline NAME] [--parallelism-changes] [--stdin]
#                    [--savepoint] [--unaligned] [--ranks N [--rank-changes]]
#   --pipeline NAME        wordcount (default), logs, bids, or a NEXMark query (q0-q8)
#   --stdin                wordcount, logs: the input comes through standard input (a pipe),
#                          so through the write-ahead log; each restart is given the stream
#                          from where `streamweave checkpoints list` says
#   --kills N              kill points before the run may finish (default 20)
#   --parallelism-changes  restart each time with another --threads (1 to 3)
#   --savepoint            stop each run with SIGINT instead, under --savepoint-on-exit: each
#                          must stop at a savepoint, and the next go on from it
#   --unaligned            --alignment-timeout 0: checkpoints pass tasks with several inputs
#                          unaligned, saving the batches in flight, which restarts replay
#                          (with --parallelism-changes: split among the new instances)
#   --ranks N              distributed: each run is `mpirun -np N ... --mode distributed`
#                          (one thread a rank), and each kill is a SIGKILL of one rank, picked
#                          at random, which ends the job; the uninterrupted run is in process
#   --rank-changes         with --ranks: restart each time on 1 to N ranks
# Prints "ok crash_restart <pipeline>: N kills" or "FAIL crash_restart ...".
set -uo pipefail
cd "$(dirname "$0")/.."
cli=build/release/examples/streamweave kills=20 pipeline=wordcount change=false stdin=false
signal=KILL savepoint=() unaligned=() unaligned_seen=0 in_flight_seen=0 ranks=0
rank_change=false mpirun=${MPIRUN:-mpirun}
while (($#)); do
  case "$1" in
    --cli) cli=$2; shift 2 ;;
    --kills) kills=$2; shift 2 ;;
    --pipeline) pipeline=$2; shift 2 ;;
    --parallelism-changes) change=true; shift ;;
    --stdin) stdin=true; shift ;;
    --savepoint) signal=INT savepoint=(--savepoint-on-exit); shift ;;
    --unaligned) unaligned=(--alignment-timeout 0); shift ;;
    --ranks) ranks=$2; shift 2 ;;
    --rank-changes) rank_change=true; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "crash_restart.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d "${TMPDIR:-/tmp}/streamweave-crash.XXXXXX")
trap '[[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT
fail() { echo "FAIL crash_restart $pipeline: $*"; tail -20 "$work/log" 2>/dev/null; exit 1; }

# Every restart reads the same input: a file of its own, or the same generated events (NEXMark
# with a fixed event rate, so that event time does not follow the pace).
case $pipeline in
  wordcount)
    events=60000 input=(--input "$work/input.txt")
    python3 - "$work/input.txt" <<'PY'
import random, sys
random.seed(11)
letters = "abcdefghijklmnopqrstuvwxyz"
words = ["".join(random.choice(letters) for _ in range(random.randint(2, 9))) for _ in range(5000)]
words += ["alpha", "beta", "gamma"] * 100
with open(sys.argv[1], "w") as f:
    for _ in range(60000):
        f.write(" ".join(random.choice(words) for _ in range(10)) + "\n")
PY
    ;;
  logs)  # 60 000 requests over 20 minutes of event time, up to 2 s out of order
    events=60000 input=(--input "$work/input.jsonl")
    python3 - "$work/input.jsonl" <<'PY'
import random, sys
random.seed(12)
paths = ["/", "/search", "/login", "/cart", "/checkout", "/api/items", "/help", "/orders"]
with open(sys.argv[1], "w") as f:
    for i in range(60000):
        status = 503 if random.random() < 0.01 else 200
        f.write('{"time_ms": %d, "method": "GET", "path": "%s", "status": %d, "latency_ms": %.3f}\n'
                % (1795392000000 + i * 20 - random.randrange(2000), random.choice(paths), status,
                   random.lognormvariate(3.0, 0.6)))
PY
    ;;
  bids) events=2000000 input=(--events "$events") ;;
  q[0-9]) events=400000 input=(--events "$events" --event-rate 2000) ;;
  *) echo "crash_restart.sh: no crash test for pipeline '$pipeline'" >&2; exit 2 ;;
esac
file=${input[1]}
feed() { if $stdin; then tail -c "+$(($1 + 1))" "$file"; fi; }  # the stream from byte $1
if $stdin; then
  [[ ${input[0]} == --input ]] || { echo "crash_restart.sh: --stdin is for wordcount, logs" >&2; exit 2; }
  input=(--input -)
fi
run() {  # run THREADS OUTPUT [checkpoint options...]; on $np ranks when $np > 0
  local threads=$1 out=$2
  shift 2
  # exec: the job killed below is streamweave itself (or mpirun), not a shell around it.
  if ((np > 0)); then
    exec "$mpirun" -np "$np" "$cli" run "$pipeline" "${input[@]}" --output "$out" --threads 1 \
      --no-progress --mode distributed "$@"
  fi
  exec "$cli" run "$pipeline" "${input[@]}" --output "$out" --threads "$threads" \
    --no-progress "$@"
}
# The process to kill: streamweave itself, or one rank of the job mpirun started, picked at
# random; once the run has begun (it, or rank 0, has locked the checkpoint directory: MPI is
# up and the graph built), so that the kill point is measured from there — a sanitizer build
# takes a second or more to get there. mpirun then ends the other ranks.
victim() {
  if ((np == 0)); then
    for _ in $(seq 1000); do
      grep -qxF "$1" "$work/ck/.lock" 2>/dev/null && break
      sleep 0.01
    done
    echo "$1"
    return
  fi
  local children=()
  for _ in $(seq 1000); do
    # By name: mpirun's children include the shell that feeds its stdin.
    mapfile -t children < <(pgrep -P "$1" -x "$(basename "$cli" | cut -c1-15)")
    ((${#children[@]} >= np)) && grep -qxF -f <(printf '%s\n' "${children[@]}") \
      "$work/ck/.lock" 2>/dev/null && break
    sleep 0.01
  done
  ((${#children[@]})) && echo "${children[RANDOM % ${#children[@]}]}"
}
# The manifest of the newest complete checkpoint (none: empty).
newest_checkpoint() { find "$work/ck" -name _manifest 2>/dev/null | sort | tail -n 1; }
np=0
(run 2 "$work/expected.txt") < <(feed 0) >"$work/log" 2>&1 || fail "the uninterrupted run failed"
np=$ranks
sort "$work/expected.txt" >"$work/expected.sorted"
(($(wc -l <"$work/expected.sorted") > 2)) || fail "the uninterrupted run wrote too little"

# Paced (--rate: the events take about kills x 0.4 s in all), so that there is work left at
# every kill point, with checkpoints every 20 ms; each kill lands 50-400 ms into a run, every
# other one counted from the run's first complete checkpoint: a sanitizer build may take longer
# than that to complete its first, and kills that all come before it would test no restore.
rate=$((events * 10 / (kills * 4 + 1) + 1))
killed=0 threads=2 attempts=0
while :; do
  ((attempts++ < kills + 50)) || fail "did not finish after $attempts runs"
  $change && threads=$((1 + RANDOM % 3))
  $rank_change && np=$((1 + RANDOM % ranks))
  from=0  # stdin: the stream from where the log says a restarted run reads it on
  if $stdin && [[ -d $work/ck ]]; then
    from=$("$cli" checkpoints list "$work/ck" | sed -n 's/.*reads the stream from byte \([0-9]*\).*/\1/p')
    from=${from:-0}
  fi
  newest=$(newest_checkpoint)
  run "$threads" "$work/out.txt" --rate "$rate" --checkpoint-dir "$work/ck" \
    --checkpoint-interval 20ms "${savepoint[@]}" "${unaligned[@]}" < <(feed "$from") \
    >"$work/log" 2>&1 &
  pid=$!
  if ((killed < kills)); then
    if ((${#savepoint[@]})); then
      # Not before the tool handles SIGINT (it blocks it for its signal thread), else SIGINT
      # kills it as it kills any process: a sanitizer build takes a while to get there.
      for _ in $(seq 300); do
        blocked=$(sed -n 's/^SigBlk:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null)
        [[ -n $blocked ]] && (((16#$blocked & 2) != 0)) && break
        sleep 0.01
      done
    fi
    target=$(victim "$pid")
    if ((killed % 2)); then
      for _ in $(seq 3000); do
        [[ $(newest_checkpoint) != "$newest" ]] && break
        sleep 0.01
      done
    fi
    sleep "0.$(printf '%03d' $((50 + RANDOM % 350)))"
    if [[ -n $target ]] && kill "-$signal" "$target" 2>/dev/null; then
      wait "$pid" 2>/dev/null
      status=$?
      killed=$((killed + 1))
      # What the next run restores from: count the kills that left an unaligned checkpoint,
      # and those that left one with batches in flight (to replay).
      if ((${#unaligned[@]})); then
        listed=$("$cli" checkpoints list "$work/ck")
        grep -q "unaligned:" <<<"$listed" && unaligned_seen=$((unaligned_seen + 1))
        grep -q "unaligned: [1-9]" <<<"$listed" && in_flight_seen=$((in_flight_seen + 1))
      fi
      # Stopped by SIGINT with --savepoint-on-exit: at a savepoint (unless it had just ended).
      if ((${#savepoint[@]} && status != 0)) && ! grep -q "at savepoint [0-9]*" "$work/log"; then
        fail "run $attempts stopped by SIGINT (exit $status) without a savepoint: $(tail -3 "$work/log")"
      fi
      ((status == 0)) && break
      continue
    fi
  fi
  wait "$pid" || fail "run $attempts exited $? (after $killed kills)"
  break
done
[[ -e $work/out.txt.inprogress ]] && fail "the in-progress file is still there"
((${#unaligned[@]} == 0 || killed == 0 || unaligned_seen > 0)) ||
  fail "--unaligned: no kill left an unaligned checkpoint behind"
((killed == 0)) || grep -q "restored from" "$work/log" || fail "the last run did not restore"
sort "$work/out.txt" | cmp -s - "$work/expected.sorted" ||
  fail "output differs from the uninterrupted run after $killed kills: $(sort "$work/out.txt" |
    diff - "$work/expected.sorted" | head -5 | tr '\n' ' ')"
"$cli" checkpoints list "$work/ck" | grep -q "complete (final)" ||
  fail "checkpoints list does not show the final checkpoint"
"$cli" checkpoints inspect "$work/ck" | grep -q "^checkpoint [0-9]* (final)" ||
  fail "checkpoints inspect does not show the final checkpoint"
echo "ok crash_restart $pipeline$( ((ranks)) && echo " (mpirun -np $($rank_change && echo 1-)$ranks)")$($stdin && echo ' (stdin)')$( ((${#savepoint[@]})) && echo ' (savepoints)')$( ((${#unaligned[@]})) && echo " (unaligned: $unaligned_seen kills left one, $in_flight_seen with batches in flight)"): $killed ${signal} signals, $attempts runs"
