#!/usr/bin/env bash
# Checks the house rules a compiler does not: every file formatted by .clang-format, and no
# function in the libraries longer than 60 lines (clang-tidy's readability-function-size).
# Needs a configured release build (compile_commands.json): run scripts/test.sh once first.
#   --fix   reformat the files instead of only reporting them
set -euo pipefail
cd "$(dirname "$0")/.."
fix=false
for arg in "$@"; do
  case "$arg" in
    --fix) fix=true ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "lint.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done
build=build/release
[[ -f $build/compile_commands.json ]] || { echo "lint.sh: configure $build first" >&2; exit 2; }

mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
if $fix; then
  clang-format-14 -i "${files[@]}"
else
  clang-format-14 --dry-run --Werror "${files[@]}"
fi

libraries='/(engine|operators|runtime|serde)/'
long=$(run-clang-tidy-14 -p "$build" -quiet -checks='-*,readability-function-size' \
         -header-filter="$PWD$libraries" \
         -config='{CheckOptions: [{key: readability-function-size.LineThreshold, value: 60}]}' \
         "$PWD/(engine|operators|runtime|serde)/src|$PWD/tests/(engine|operators|serde)" 2>/dev/null |
       sed 's/\x1b\[[0-9;]*m//g' | grep -E "^$PWD$libraries.*warning:.*function-size" | sort -u || true)
if [[ -n $long ]]; then
  echo "functions over 60 lines:"
  echo "$long"
  exit 1
fi
echo "lint: formatted, and no library function over 60 lines"
