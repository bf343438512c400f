#!/usr/bin/env bash
# Installs the build in $1 to a fresh prefix, then configures, builds and runs the consumer
# project in examples/consumer against it, as a user's project would (find_package).
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
test -x "$work/prefix/bin/streamweave"
test -f "$work/prefix/include/streamweave/streamweave.hpp"
"$work/prefix/bin/streamweave" list | grep -q '^wordcount'
cmake -S "$source_dir/examples/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" >/dev/null
"$work/build/consumer"
