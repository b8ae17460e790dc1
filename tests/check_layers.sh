#!/bin/sh
# tests/check_layers.sh - the layers include only downward (ctest "layers").
#
#     base <- workloads <- models <- models/asyncio <- harness
#
# A file under a layer may include its own folder and the folders below,
# nothing above; and models/ and workloads/ do not know jansson (results
# as JSON are the harness's business). The build's include views
# (build/layers/) already stop an upward include from compiling; this
# check names the file and line, also for a file no target compiles, and
# catches a "../" that would walk around a view.
# Prints one line per breach and exits 1 if there is any. Run from the
# source tree (ctest does); reads the files git tracks or would add (all
# files outside a git checkout).
set -u
cd "$(dirname "$0")/.." || exit 2

files() { # files FOLDER: the files under FOLDER git knows or would add
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files --cached --others --exclude-standard -- "$1"
    else
        find "$1" -type f
    fi
}

bad=0
# forbid FOLDER WHAT PATTERN [EXCEPT]: lines matching the extended regex
# PATTERN in FOLDER's files (but not those under EXCEPT) are breaches.
forbid() {
    folder=$1 what=$2 pattern=$3 except=${4:-}
    hits=$(files "$folder" | while IFS= read -r f; do
        [ -f "$f" ] || continue
        if [ -n "$except" ]; then
            case "$f" in "$except"/*) continue ;; esac
        fi
        grep -HinE -- "$pattern" "$f"
    done)
    [ -z "$hits" ] && return 0
    printf '%s\n' "$hits" | sed "s|\$|   <- $what|"
    bad=1
}

inc='^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]'
forbid base "base/ includes a layer above it" "$inc(harness|models|workloads)/"
forbid workloads "workloads/ includes a layer above it" "$inc(harness|models)/"
forbid models "models/ includes harness/" "${inc}harness/"
forbid models "models/ below asyncio includes models/asyncio/" \
    "${inc}models/asyncio/" models/asyncio
for layer in base workloads models; do
    forbid "$layer" "$layer/ includes by a relative path" "$inc\\.\\./"
done
forbid models "models/ mentions jansson" "jansson"
forbid workloads "workloads/ mentions jansson" "jansson"

if [ "$bad" -ne 0 ]; then
    echo "check_layers: a layer reaches up or knows jansson (see above;" \
        "docs/ARCHITECTURE.md has the layers)"
    exit 1
fi
echo "check_layers: every layer includes only downward"
