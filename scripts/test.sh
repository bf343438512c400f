#!/usr/bin/env bash
# Installs what is missing, builds and runs the whole test suite (release preset).
#   --asan   also build and run the suite under AddressSanitizer + UBSan (always in CI=true)
#   --tsan   also build and run the suite under ThreadSanitizer
#   --no-fuzz   skip the short libFuzzer runs (scripts/fuzz.sh, 20 s per target)
set -euo pipefail
cd "$(dirname "$0")/.."

presets=(release)
fuzz=true
[[ "${CI:-}" == "true" ]] && presets+=(asan)
for arg in "$@"; do
  case "$arg" in
    --asan) [[ " ${presets[*]} " == *" asan "* ]] || presets+=(asan) ;;
    --tsan) presets+=(tsan) ;;
    --no-fuzz) fuzz=false ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

# What OpenMPI needs for the distributed tests (mpirun -np 1/2/3) as root in a container on a
# small machine: run as root, more ranks than cores, shared memory only.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl=self,vader
export OMPI_MCA_btl_vader_single_copy_mechanism=none
# Each phase says how long it took: CI has a time budget, and this is where it goes.
phase() {
  local name="$1" start=$SECONDS
  shift
  echo "=== $name"
  "$@"
  echo "=== $name: $((SECONDS - start)) s"
}
# -DSTREAMWEAVE_BUILD_TESTS=ON also in a build dir configured without; streamweave_check: the
# suites, not the benchmarks.
build() {
  cmake --preset "$1" -DSTREAMWEAVE_BUILD_TESTS=ON >/dev/null
  cmake --build --preset "$1" --target streamweave_check
}
phase "setup" bash scripts/setup.sh
for preset in "${presets[@]}"; do
  phase "$preset: configure and build" build "$preset"
  phase "$preset: tests" ctest --preset "$preset"
done
if $fuzz; then
  phase "fuzz: every decoder for 20 s" bash scripts/fuzz.sh --time 20
fi
echo "=== all done in $SECONDS s"
