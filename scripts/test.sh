#!/usr/bin/env bash
# Installs what is missing, builds and runs the whole test suite (release preset).
#   --asan   also build and run the suite under AddressSanitizer + UBSan
#   --tsan   also build and run the suite under ThreadSanitizer
#   --ci     what CI runs (the default when CI=true): the whole suite under asan, and of the
#            release build only the tests that need it (label release_only: the benchmark
#            check and the installed package), to keep within CI's time budget
#   --no-fuzz   skip the short libFuzzer runs (scripts/fuzz.sh, 20 s per target; 5 s in CI)
set -euo pipefail
cd "$(dirname "$0")/.."

presets=(release)
add_preset() { [[ " ${presets[*]} " == *" $1 "* ]] || presets+=("$1"); }
fuzz=true
ci=false
[[ "${CI:-}" == "true" ]] && ci=true
for arg in "$@"; do
  case "$arg" in
    --asan) add_preset asan ;;
    --tsan) add_preset tsan ;;
    --ci) ci=true ;;
    --no-fuzz) fuzz=false ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
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
# -DSTREAMWEAVE_BUILD_TESTS=ON also in a build dir configured without; streamweave_check (the
# default target): the suites, not the benchmarks.
build() {
  cmake --preset "$1" -DSTREAMWEAVE_BUILD_TESTS=ON >/dev/null
  cmake --build --preset "$1" --target "${2:-streamweave_check}"
}
phase "setup" bash scripts/setup.sh
# CI: every test runs once, under asan; the release build adds what asan cannot run.
$ci && add_preset asan
for preset in "${presets[@]}"; do
  if $ci && [[ $preset == release ]]; then
    phase "release: configure and build (tool, benchmark check)" \
      build release streamweave_check_release_only
    phase "release: tests labelled release_only" ctest --preset release -L release_only
    continue
  fi
  phase "$preset: configure and build" build "$preset"
  # The asan test preset runs 3 tests at a time on 2 cores (CMakePresets.json): many wait on
  # servers, mpirun or paced sources. The whole suite took 423 s so against 478 s at 2.
  phase "$preset: tests" ctest --preset "$preset"
done
if $fuzz; then
  fuzz_seconds=20
  $ci && fuzz_seconds=5  # a smoke run from the seed corpus; long runs: scripts/fuzz.sh --time N
  phase "fuzz: every decoder for $fuzz_seconds s" bash scripts/fuzz.sh --time "$fuzz_seconds"
fi
echo "=== all done in $SECONDS s"
