#!/bin/sh
# tests/test_serve_wrk.sh - wrk against duckfeed serve completes with zero
# socket errors and only 2xx answers (#14; ctest serve_wrk). Loopback only.
set -u
exe=${DF_BUILD_DIR:-build}/duckfeed
command -v wrk >/dev/null || { echo "serve_wrk: SKIP: no wrk (apt-get install wrk)"; exit 77; }
out=$(mktemp) || exit 1
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -f "$out"; }
trap cleanup EXIT
fail=0
for args in "--model coroutine" "--model process --workers 2" \
    "--model thread --threads 4" "--model asyncio --workers 2"; do
    # Emptied here, not by the child's redirection: that runs after the
    # fork, and the grep below could still read the last server's line.
    : >"$out"
    # shellcheck disable=SC2086
    "$exe" serve $args --port 0 >>"$out" 2>&1 &
    pid=$!
    i=0
    # up to 30 s: a loaded machine can be slow to start the workers
    while ! grep -q listening "$out" && [ $i -lt 600 ] && kill -0 "$pid" 2>/dev/null; do
        sleep 0.05
        i=$((i + 1))
    done
    port=$(sed -n 's|.*127.0.0.1:\([0-9]*\)/.*|\1|p' "$out")
    if [ -z "$port" ]; then
        kill "$pid" 2>/dev/null
        wait "$pid"
        echo "serve_wrk: $args: no port after $i polls, exit $?:"
        cat "$out"
        exit 1
    fi
    res=$(wrk -t2 -c16 -d1s "http://127.0.0.1:$port/noop" 2>&1)
    kill "$pid"; wait "$pid"; pid=
    reqs=$(printf '%s\n' "$res" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
    if printf '%s\n' "$res" | grep -qE 'Socket errors|Non-2xx' || [ "${reqs:-0}" -lt 100 ]; then
        echo "serve_wrk: $args: FAILED"; printf '%s\n' "$res"; fail=1
    else
        echo "serve_wrk: $args: $reqs requests, no socket errors"
    fi
done
exit $fail
