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

bash scripts/setup.sh
# What OpenMPI needs for the distributed tests (mpirun -np 1/2/3) as root in a container on a
# small machine: run as root, more ranks than cores, shared memory only.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl=self,vader
export OMPI_MCA_btl_vader_single_copy_mechanism=none
for preset in "${presets[@]}"; do
  echo "=== $preset: configure and build"
  cmake --preset "$preset" -DSTREAMWEAVE_BUILD_TESTS=ON >/dev/null  # also in a build dir configured without
  cmake --build --preset "$preset" --target streamweave_check  # the suites, not the benchmarks
  echo "=== $preset: tests"
  ctest --preset "$preset"
done
if $fuzz; then
  echo "=== fuzz: every decoder for 20 s"
  bash scripts/fuzz.sh --time 20
fi
