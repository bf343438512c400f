#!/usr/bin/env bash
# The pictures in docs/: bar charts of a `streamweave bench` run (gnuplot) and a sample
# pipeline's graph (Graphviz), as SVG in docs/img/.
#   bench/plot.sh [RESULTS.json]
# Without RESULTS.json it runs `streamweave bench --suite pipeline-p --json` first (about a
# minute; build the release preset before). Installs gnuplot and Graphviz when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --docs >/dev/null
tool=build/release/examples/streamweave
out=docs/img
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

results=${1:-}
if [[ -z "$results" ]]; then
  results=$work/bench.json
  "$tool" bench --suite pipeline-p --json "$results"
fi

# One JSON object per line: pull out the fields the charts need.
sed -n 's/.*"suite": "pipeline-p", "name": "\([a-z_0-9]*\)", "events": [0-9]*, "seconds": [0-9.]*, "events_per_s": \([0-9.]*\).*/\1 \2/p' \
  "$results" | awk '{ printf "%s %.2f\n", $1, $2 / 1e6 }' >"$work/rates.dat"
sed -n 's/.*"name": "\([A-Za-z_0-9]*\)", "value": \([0-9.e+-]*\), "target": ">= \([0-9.e+-]*\)".*/\1 \2 \3/p' \
  "$results" | awk '{ printf "%s %.3f\n", $1, $2 / $3 }' >"$work/targets.dat"
[[ -s "$work/rates.dat" ]] || { echo "plot.sh: no pipeline-p figures in $results" >&2; exit 1; }

gnuplot <<GNUPLOT
set terminal svg size 1000,560 font "sans,11" background "white"
set bmargin 14
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set grid ytics
set xtics rotate by -40 scale 0 noenhanced
set key off

set output "$out/pipeline_p.svg"
set title "Pipeline P, 2 cores: million events per second (log scale; same run)"
set logscale y
set ylabel "M events/s"
plot "$work/rates.dat" using 2:xtic(1) linecolor rgb "#3b75af"

set output "$out/targets.svg"
set title "Checked ratios as a fraction of their target (>= 1: met)"
unset logscale y
set ylabel "ratio / target"
set arrow from graph 0, first 1 to graph 1, first 1 nohead dashtype 2 linecolor rgb "#c03030"
plot "$work/targets.dat" using 2:xtic(1) linecolor rgb "#519e3e"
GNUPLOT

"$tool" graph logs --threads 2 --format svg >"$out/logs_graph.svg"
echo "plot.sh: wrote $out/pipeline_p.svg, $out/targets.svg, $out/logs_graph.svg"
