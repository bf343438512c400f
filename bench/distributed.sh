#!/usr/bin/env bash
# The distributed-mode benchmark (docs/benchmarks.md): pipeline P and a keyed word count
# in process (2 threads), distributed on one rank, and distributed on 2 ranks (mpirun -np 2,
# 1 worker each); exchange throughput at 4, 64 and 1024 KiB frames against a plain MPI
# ping-pong of the same sizes, with large values sent from where they are (the default) and
# copied into each frame (--splice-bytes 0), 64 KiB exchange runs interleaved with ping-pong
# passes (--suite paired), where the two vCPUs sit (bench/cpu_pair_latency, before and
# after), and paired rounds over TCP between two network-namespace hosts (scripts/hosts.sh,
# as root). Prints every figure as JSON (the shared-memory paired rounds only into the
# summary), then the ratios.
#   bench/distributed.sh [build dir, default build/release] [extra distributed_rate options]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
shift || true
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl=self,vader
export OMPI_MCA_btl_vader_single_copy_mechanism=none
rate="$build/bench/distributed_rate"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Where the two vCPUs are (hyperthreads of one core answer in tens of ns): the ping-pong's
# two modes on this VM follow it (docs/benchmarks.md).
"$build/bench/cpu_pair_latency" | tee -a "$out"
"$rate" --mode inprocess --threads 2 --suite pipeline "$@" | tee -a "$out"
"$rate" --mode inprocess --threads 2 --suite wordcount "$@" | tee -a "$out"
"$rate" --mode distributed --threads 2 --suite pipeline "$@" | tee -a "$out"
"$rate" --mode distributed --threads 2 --suite wordcount "$@" | tee -a "$out"
mpirun -np 2 "$rate" --mode distributed "$@" | tee -a "$out"
mpirun -np 2 "$rate" --mode distributed --suite exchange --credits 64 "$@" | tee -a "$out"
mpirun -np 2 "$rate" --mode distributed --suite exchange --credits 64 --splice-bytes 0 "$@" | tee -a "$out"
mpirun -np 2 "$build/bench/mpi_pingpong" | tee -a "$out"
# 64 KiB exchange runs (with and without payload checksums) each pair between two ping-pong
# passes, so that every ratio has baselines taken within a second of it, whichever mode the VM
# is in.
mpirun -np 2 "$rate" --mode distributed --suite paired --frame-kib 64 --repeat 100 \
  --exchange-bytes 134217728 "$@" >>"$out"
"$build/bench/cpu_pair_latency" | tee -a "$out"
# Over TCP between two hosts (network namespaces joined by veth pairs and a bridge,
# scripts/hosts.sh; root only): the exchange against the ping-pong over the same link, as
# paired rounds, with the payload checksummed as between hosts by default. Rows get "link": "tcp".
if [[ $(id -u) -eq 0 ]] && command -v ip >/dev/null; then
  scripts/hosts.sh run 2 mpirun -np 2 "$(realpath "$rate")" --mode distributed --suite paired \
    --frame-kib 64 --repeat 12 --exchange-bytes 268435456 --pingpong-bytes 134217728 "$@" |
    sed 's/^{/{"link": "tcp", /' | tee -a "$out"
else
  echo "(not root, or no iproute2: no run across network-namespace hosts)"
fi
python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
def pick(bench, link="shm", **kw):
    for r in rows:
        if r["bench"] == bench and r.get("link", "shm") == link and all(r.get(k) == v for k, v in kw.items()):
            return r
    return None
print("\nratios (same run):")
for bench in ("pipeline_p", "wordcount"):
    base = pick(bench, mode="inprocess")
    one = pick(bench, mode="distributed", ranks=1)
    two = pick(bench, mode="distributed", ranks=2)
    if base and one and two:
        print(f"  {bench}: distributed 1 rank / in-process = {one['events_per_second'] / base['events_per_second']:.2f}, "
              f"2 ranks / in-process = {two['events_per_second'] / base['events_per_second']:.2f}")
spliced = {r["splice_bytes"] for r in rows if r["bench"] == "exchange" and r["splice_bytes"] > 0}
for credits, splice in [(16, s) for s in sorted(spliced)] + [(64, s) for s in sorted(spliced)] + [(64, 0)]:
    for kib in (4, 64, 1024):
        ex = pick("exchange", ranks=2, frame_kib=kib, credits=credits, splice_bytes=splice)
        mpi = pick("mpi_pingpong", frame_kib=kib)
        if ex and mpi:
            how = "copied" if splice == 0 else f"spliced >= {splice} B"
            target = "  (target >= 0.50)" if kib == 64 else ""
            print(f"  exchange {kib:>4} KiB, {credits} credits, {how}: {ex['mb_per_second']:.0f} MB/s vs MPI ping-pong {mpi['mb_per_second']:.0f} MB/s = {ex['mb_per_second'] / mpi['mb_per_second']:.2f}{target}")
paired = [r for r in rows if r["bench"] == "paired" and r.get("link", "shm") == "shm"]
if paired:
    fast = [r for r in paired if min(r["pingpong_before"], r["pingpong_after"]) > 12000]
    slow = [r for r in paired if max(r["pingpong_before"], r["pingpong_after"]) < 12000]
    for name, chosen in (("ping-pong above 12 GB/s both sides (fast mode)", fast),
                         ("ping-pong below 12 GB/s both sides", slow)):
        for key, what in (("ratio", "checksummed"), ("ratio_unchecked", "payload unchecked")):
            ratios = [r[key] for r in chosen]
            if ratios:
                print(f"  paired 64 KiB, {what}, {name}: {len(ratios)} rounds, exchange / "
                      f"ping-pong median {statistics.median(ratios):.2f} (min {min(ratios):.2f}, "
                      f"max {max(ratios):.2f})")
tcp = [r for r in rows if r["bench"] == "paired" and r.get("link") == "tcp"]
if tcp:
    for key, what in (("ratio", "checksummed"), ("ratio_unchecked", "payload unchecked")):
        ratios = [r[key] for r in tcp]
        print(f"  TCP between 2 namespace hosts, paired 64 KiB, {what}: {len(ratios)} rounds, exchange "
              f"{statistics.median(r['exchange' if key == 'ratio' else 'exchange_unchecked'] for r in tcp):.0f} MB/s, "
              f"ping-pong {statistics.median(max(r['pingpong_before'], r['pingpong_after']) for r in tcp):.0f} MB/s, "
              f"exchange / ping-pong median {statistics.median(ratios):.2f} (min {min(ratios):.2f}, "
              f"max {max(ratios):.2f})  (target >= 0.50)")
trips = [r["round_trip_ns"] for r in rows if r["bench"] == "cpu_pair_latency"]
if trips:
    print(f"  vCPU 0 <-> 1 cache-line round trip, before and after: {' and '.join(f'{t:.0f}' for t in trips)} ns")
wc = pick("wordcount", mode="distributed", ranks=2)
if wc:
    print(f"  serialisation per word (encode + decode, 2 ranks): {wc['serde_ns_per_word']:.0f} ns")
PY
