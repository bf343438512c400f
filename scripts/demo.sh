#!/usr/bin/env bash
# The main job: installs what is missing, builds (release) and runs the sample pipeline
# `bids` — pipeline P over 20 million generated bids — printing what it computed and how fast.
# Extra arguments go to `streamweave run bids`, e.g. --events 1000000 --threads 4.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target streamweave_cli
args=("$@")
# 20 million events unless the caller chose (CLI11 takes --events once).
[[ " $* " == *" --events"* ]] || args=(--events 20000000 "${args[@]}")
./build/release/examples/streamweave run bids "${args[@]}"
