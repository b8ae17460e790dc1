#!/bin/sh
# tests/check_format.sh - every C file is as .clang-format lays it out
# (ctest "format").
#
# Runs clang-format 14 (what .clang-format is written for; other versions
# lay some constructs out differently) with --dry-run -Werror over every
# *.c and *.h git tracks (every one under the tree outside a git checkout)
# and prints the drifting files. Exits 1 if any drifts or clang-format 14
# is missing. To fix a file: clang-format -i FILE.
set -u
cd "$(dirname "$0")/.." || exit 2

cf=
for c in clang-format-14 clang-format; do
    if command -v "$c" >/dev/null 2>&1 &&
        "$c" --version | grep -q 'version 14\.'; then
        cf=$c
        break
    fi
done
if [ -z "$cf" ]; then
    echo "check_format: needs clang-format 14 (apt-get install clang-format)"
    exit 1
fi

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    list=$(git ls-files -- '*.c' '*.h')
else
    list=$(find . -name 'build*' -prune -o -type f \( -name '*.c' -o \
        -name '*.h' \) -print)
fi

n=0
drift=0
for f in $list; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    if ! "$cf" --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "$f"
        drift=$((drift + 1))
    fi
done
if [ "$drift" -ne 0 ]; then
    echo "check_format: $drift of $n files drift from .clang-format" \
        "(clang-format -i FILE fixes one)"
    exit 1
fi
echo "check_format: $n files as .clang-format lays them out"
