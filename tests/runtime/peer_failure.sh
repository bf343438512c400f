#!/usr/bin/env bash
# A rank of an `mpirun -np NP` job falls silent mid-run; checks what the job does.
#   peer_failure.sh MODE NP RUNTIME_TESTS [MPIRUN]
#   stop:  the last rank is SIGSTOPped for good: rank 0 names it (PeerLost) within the
#          default heartbeat timeout (5 s) plus 2 s, without spinning a core meanwhile, and
#          the whole job ends (no process left, exit non-zero).
#   slow:  the last rank is SIGSTOPped for 2 s, then SIGCONT: no failure, every item arrives.
#   cut:   under `scripts/hosts.sh run N` (one rank per host), the last host's link goes down
#          for good: mpirun's keepalives (hosts.sh sets them: about 4 s) end the job, naming
#          the host it lost, before the heartbeats' 5 s; no process is left.
# Extra arguments to mpirun come from $MPIRUN_ARGS (scripts/hosts.sh puts ranks on hosts).
set -uo pipefail
mode=$1 np=$2 tests=$3 mpirun=${4:-mpirun}
work=$(mktemp -d "${TMPDIR:-/tmp}/streamweave-peer.XXXXXX")
trap 'rm -rf "$work"' EXIT
victim=$((np - 1))
fail() { echo "FAIL peer_failure $mode: $*"; cat "$work/log" 2>/dev/null | tail -30; exit 1; }
ms() { date +%s%3N; }

expect=complete
[[ $mode == stop ]] && expect=lost
# Open MPI takes either -x or this list, not both (scripts/hosts.sh sets the list).
export OMPI_MCA_mca_base_env_list="${OMPI_MCA_mca_base_env_list:+$OMPI_MCA_mca_base_env_list;}STREAMWEAVE_PEER_DIR;STREAMWEAVE_PEER_EXPECT"
STREAMWEAVE_PEER_DIR=$work STREAMWEAVE_PEER_EXPECT=$expect \
  timeout 90 "$mpirun" ${MPIRUN_ARGS:-} -np "$np" "$tests" '[.peer]' --use-colour no \
  >"$work/log" 2>&1 &
job=$!
for ((i = 0; i < 300; i++)); do [[ -s $work/rank-$victim.pid && -s $work/rank-0.pid ]] && break; sleep 0.1; done
[[ -s $work/rank-$victim.pid ]] || fail "the ranks did not start"
sleep 1.5  # mid-run: the paced exchange takes about 8 s
pid=$(cat "$work/rank-$victim.pid") rank0=$(cat "$work/rank-0.pid")
cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }  # clock ticks

case $mode in
  cut)
    cut=$(ms)
    bash "$(dirname "$0")/../../scripts/hosts.sh" cut "$victim" || fail "cannot cut host $victim"
    wait "$job"; rc=$?
    ended=$(ms)
    ((rc != 0 && rc != 124)) || fail "mpirun exited $rc"
    grep -q "lost communication with a remote daemon" "$work/log" || fail "no word of the lost host"
    grep -q "Remote daemon: .* on node $(sed -n "$((victim + 1))p" "$OMPI_MCA_orte_default_hostfile" | cut -d' ' -f1)" \
      "$work/log" || fail "the lost host is not named"
    ((ended - cut <= 15000)) || fail "the job ended $((ended - cut)) ms after the cut"
    sleep 0.5
    state=$(ps -o stat= -p "$rank0" 2>/dev/null) && [[ $state != Z* ]] && fail "rank 0 left running"
    echo "ok peer_failure cut: the job ended $((ended - cut)) ms after host $victim's link went down (exit $rc)"
    ;;
  stop)
    stopped=$(ms)
    kill -STOP "$pid" || fail "cannot stop rank $victim"
    before=$(cpu "$rank0"); sleep 2.5; after=$(cpu "$rank0")
    # Rank 0 waits for the stopped rank: blocked, not polling (100 ticks = one core-second).
    ((after - before < 100)) || fail "rank 0 used $((after - before)) ticks of CPU in 2.5 s waiting"
    wait "$job"; rc=$?
    ended=$(ms)
    ((rc != 0 && rc != 124)) || fail "mpirun exited $rc"
    line=$(grep -m1 "PEER LOST rank $victim at" "$work/log") || fail "no PeerLost on rank 0"
    detected=$(sed -n 's/.*PEER LOST rank [0-9]* at \([0-9]*\) ms.*/\1/p' <<<"$line")
    grep -q "rank $victim on host .* sent nothing for" <<<"$line" || fail "$line"
    delay=$((detected - stopped))
    ((delay >= 4500 && delay <= 7000)) || fail "detected after $delay ms, not within 5-7 s"
    sleep 0.5
    for p in "$pid" "$rank0"; do  # gone, or dead and not reaped yet
      state=$(ps -o stat= -p "$p" 2>/dev/null) || continue
      [[ $state == Z* ]] || { kill -KILL "$p"; fail "rank process $p was left running ($state)"; }
    done
    echo "ok peer_failure $mode: rank $victim named after $delay ms, job ended $((ended - stopped)) ms after the stop (exit $rc)"
    ;;
  slow)
    kill -STOP "$pid" || fail "cannot stop rank $victim"
    sleep 2
    kill -CONT "$pid"
    wait "$job"; rc=$?
    ((rc == 0)) || fail "mpirun exited $rc after a 2 s pause"
    grep -q "PEER COMPLETE 80000 items" "$work/log" || fail "not every item arrived"
    echo "ok peer_failure slow: a 2 s pause of rank $victim, every item arrived"
    ;;
  *) echo "peer_failure.sh: unknown mode $mode (stop, slow, cut)" >&2; exit 2 ;;
esac
