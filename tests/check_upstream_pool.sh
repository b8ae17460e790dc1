#!/bin/sh
# tests/check_upstream_pool.sh - the upstream pool in a coroutine hybrid,
# REPS times in a row (ctest "upstream_pool"; #18).
#
# `duckfeed run --model coroutine --workers 2` on upstream with fewer
# connections than clients (conns=4, 64 clients: requests wait for a
# pooled connection, handed over between coroutines) once hung 1 point
# in 6 under ASan: a worker forked while the peer's thread was starting
# never served. Each run must end within its timeout, exit 0, complete
# requests, and hear from both workers (a stuck worker is killed at the
# end and sends no figures). Needs jq (`./run.sh test` installs it).
set -u
build=${DF_BUILD_DIR:?DF_BUILD_DIR is not set (run from ctest)}
reps=${DF_UPSTREAM_REPS:-30}
command -v jq >/dev/null || {
    echo "upstream_pool: jq is not installed" >&2
    exit 1
}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
bad=0
i=1
while [ "$i" -le "$reps" ]; do
    out=$tmp/run-$i.json
    timeout 90 "$build/duckfeed" run --model coroutine --workers 2 \
        --workload upstream:ms=1,conns=4 --concurrency 64 --repeat 1 \
        --warmup 0.1s --duration 0.5s --quiet --out "$out" \
        >"$tmp/log" 2>&1
    rc=$?
    got=$(jq -r '.points[0] | "\(.completed) \(.per_process | length)"' \
        "$out" 2>/dev/null)
    # shellcheck disable=SC2086 # two numbers, split on purpose
    set -- $got 0 0
    ok=0
    [ "$rc" -eq 0 ] && [ "$1" -gt 0 ] && [ "$2" -eq 2 ] && ok=1
    if [ "$ok" -ne 1 ]; then
        echo "upstream_pool: run $i: exit $rc (124: timed out)," \
            "completed and workers heard from: ${got:-none}" >&2
        cat "$tmp/log" >&2
        jq -c '.points[0] | {status, completed, timeouts, censored,
            warmup_s, peer, marks}' "$out" >&2 2>/dev/null
        bad=$((bad + 1))
    fi
    i=$((i + 1))
done
echo "upstream_pool: $((reps - bad)) of $reps runs ended and served"
[ "$bad" -eq 0 ]
