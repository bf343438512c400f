#!/usr/bin/env bash
# Installs the Debian packages StreamWeave needs, only those missing.
# Idempotent and non-interactive; runs `apt-get update` at most once.
#   --docs   also Graphviz and gnuplot, which bench/plot.sh uses for the pictures in docs/
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libtbb-dev libconcurrentqueue-dev libboost1.81-dev libsimdjson-dev libisal-dev
  libopenmpi-dev openmpi-bin iproute2 python3
  catch2 libbenchmark-dev libcli11-dev libfmt-dev
  clang-14 libclang-rt-14-dev
  prometheus curl
  redis-server libhiredis-dev
  postgresql-15 libpq-dev
  liburing-dev
)
for arg in "$@"; do
  case "$arg" in
    --docs) packages+=(graphviz gnuplot-nox) ;;
    *) echo "setup.sh: unknown option $arg (--docs)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
