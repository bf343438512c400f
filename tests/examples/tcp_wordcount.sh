#!/usr/bin/env bash
# wordcount over TCP from the command line: the text of a file sent by three clients (bash's
# /dev/tcp) to `run wordcount --input tcp://...?connections=3`, with checkpoints, the counts
# sent on to a server (python3) with --output tcp://... by each sink instance; they must equal
# the counts of the same file read as a file. Plus the errors: a bad URI, a line longer than
# --max-line-bytes, tcp:// for another pipeline, a sink whose server is not there. Ports chosen
# free; everything in a temp dir, removed on any exit.
#   tcp_wordcount.sh STREAMWEAVE_CLI
set -euo pipefail
cli=${1:?usage: tcp_wordcount.sh STREAMWEAVE_CLI}
command -v python3 >/dev/null || { echo "FAIL tcp_wordcount: python3 missing (scripts/setup.sh)"; exit 1; }
source "$(dirname "$0")/../../scripts/lib/servers.sh"
work=$(mktemp -d /tmp/streamweave-tcp.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL tcp_wordcount: $*"
  for log in "$work"/*.log; do [[ -f $log ]] && { echo "--- $log"; tail -20 "$log"; }; done
  exit 1
}

for ((i = 0; i < 3000; i++)); do echo "line $i of the text, word$((i % 37)) and Word$((i % 5))"; done >"$work/text"
"$cli" run wordcount --input "$work/text" --output "$work/expected" --threads 2 --no-progress \
  >"$work/file.log" 2>&1 || fail "the file run"

in_port=$(free_port)
out_port=$(free_port)
# The server the counts go to: accepts every sink instance's connection, and appends what
# each sent to the file once it closed.
python3 - "$out_port" "$work/received" >"$work/server.log" 2>&1 <<'PY' &
import socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
open(sys.argv[2] + ".listening", "w").close()
lock = threading.Lock()
def serve(c):
    data = b""
    while chunk := c.recv(65536):
        data += chunk
    with lock, open(sys.argv[2], "ab") as out:
        out.write(data)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
pids+=($!)
for ((try = 0; try < 100; try++)); do [[ -e $work/received.listening ]] && break; sleep 0.05; done
"$cli" run wordcount --input "tcp://127.0.0.1:$in_port?connections=3" \
  --output "tcp://127.0.0.1:$out_port" --threads 2 --no-progress \
  --checkpoint-dir "$work/checkpoints" --checkpoint-interval 50ms >"$work/tcp.log" 2>&1 &
run=$!
pids+=($run)
# Three clients, each a third of the file, connecting as soon as the port listens.
send() {
  for ((try = 0; try < 200; try++)); do
    if { exec 3<>"/dev/tcp/127.0.0.1/$in_port"; } 2>/dev/null; then
      cat >&3
      exec 3>&-
      return 0
    fi
    sleep 0.05
  done
  return 1
}
sed -n '1,1000p' "$work/text" | send || fail "cannot connect to the tcp input"
sed -n '1001,2000p' "$work/text" | send || fail "cannot connect to the tcp input"
sed -n '2001,$p' "$work/text" | send || fail "cannot connect to the tcp input"
wait "$run" || fail "the tcp run failed"
lines_of() { [[ -f $1 ]] && wc -l <"$1" || echo 0; }
for ((try = 0; try < 100; try++)); do
  (($(lines_of "$work/received") >= $(lines_of "$work/expected"))) && break
  sleep 0.05
done
diff <(sort "$work/expected") <(sort "$work/received") >"$work/diff.log" ||
  fail "the counts over tcp differ from the file's"
grep -q "from 3000 lines" "$work/tcp.log" || fail "not 3000 lines read"

# Errors, each with exit 2 before anything runs, or a clear failure.
if "$cli" run wordcount --input "tcp://127.0.0.1:$in_port?colour=red" >"$work/bad.log" 2>&1; then
  fail "an unknown parameter was taken"
fi
grep -q "colour" "$work/bad.log" || fail "the unknown parameter not named"
# --max-line-bytes bounds the lines clients send too (send() writes to $in_port).
in_port=$(free_port)
"$cli" run wordcount --input "tcp://127.0.0.1:$in_port?connections=1" --max-line-bytes 100 \
  --no-progress >"$work/long.log" 2>&1 &
run=$!
pids+=($run)
{ echo "short line"; printf 'x%.0s' {1..200}; echo; } | send || fail "cannot connect to the tcp input"
if wait "$run"; then fail "a line longer than --max-line-bytes was taken over tcp"; fi
grep -q "longer than max_frame=100" "$work/long.log" || fail "the long line not named"
set +e
"$cli" run logs --input "tcp://127.0.0.1:$in_port" >"$work/logs.log" 2>&1
[[ $? == 2 ]] || fail "logs took tcp://"
"$cli" run wordcount --output "tcp://127.0.0.1:$(free_port)" --no-progress >"$work/down.log" 2>&1
code=$?
set -e
[[ $code != 0 ]] || fail "a sink whose server is not there succeeded"
grep -q "cannot connect to tcp://127.0.0.1" "$work/down.log" || fail "the down server not named"
echo "ok tcp_wordcount"
