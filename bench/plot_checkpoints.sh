#!/usr/bin/env bash
# The per-checkpoint timeline in docs/img/checkpoint_timeline.svg: for each checkpoint of
# checkpoint_rate's keys part (a keyed sum over 1 M keys, one every 250 ms), how long the
# alignment, the longest instance's snapshot and the rest (writing the files and the
# manifest) took, stacked.
#   bench/plot_checkpoints.sh [TIMELINE]
# Without TIMELINE it runs `build/release/bench/checkpoint_rate --part keys --timeline ...`
# first (a few seconds; build the release preset before). Installs gnuplot when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --docs >/dev/null
out=docs/img
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

timeline=${1:-}
if [[ -z "$timeline" ]]; then
  timeline=$work/timeline.dat
  build/release/bench/checkpoint_rate --part keys --timeline "$timeline" >/dev/null
fi
# id alignment snapshot rest entries MiB, one row per checkpoint
awk '!/^#/ { rest = $5 - $3 - $4; if (rest < 0) rest = 0;
             printf "%d %.2f %.2f %.2f %d %.1f\n", $1, $3, $4, rest, $6, $7 }' "$timeline" \
  >"$work/bars.dat"
[[ -s "$work/bars.dat" ]] || { echo "plot_checkpoints.sh: no checkpoints in $timeline" >&2; exit 1; }

gnuplot <<GNUPLOT
set terminal svg size 1000,520 font "sans,11" background "white"
set output "$out/checkpoint_timeline.svg"
set title "Checkpoints of a keyed sum over 1 M keys, every 250 ms: where each one's time went"
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.7
set grid ytics
set ylabel "ms"
set xlabel "checkpoint (keyed entries, MiB)"
set xtics rotate by -30 scale 0 noenhanced
set key top left
plot "$work/bars.dat" using 2:xtic(sprintf("%d (%d, %.1f)", \$1, \$5, \$6)) title "alignment" linecolor rgb "#c08a2d", \
     "" using 3 title "snapshot (longest instance)" linecolor rgb "#3b75af", \
     "" using 4 title "write files + manifest" linecolor rgb "#519e3e"
GNUPLOT
echo "plot_checkpoints.sh: wrote $out/checkpoint_timeline.svg"
