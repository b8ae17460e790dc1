#!/bin/sh
# examples/asyncio/run_all.sh [--check] [SCALE] - runs every asyncio example
# of the tutorial and prints name / expected / measured / ok. An example is
# ok when it exits 0 and its measured time is within TOL seconds (default
# 0.015, env DF_ASYNCIO_TOL) of the tutorial's time x SCALE (default 1.0).
# With DF_TIMING_TRUSTED=0 (set by ctest in a sanitizer build, where times
# mean nothing) the time is not compared: ok is exiting 0 with a result.
# A late time while other processes kept the machine busy (more than a
# quarter of a core, from /proc/stat: the examples themselves only sleep)
# is reported as "late (busy)" and not failed; an early time always fails.
# --check: exit 1 if any example is not ok (used by ctest).
# --lines: also print each example's DF-RESULT line (duckfeed suite).
# Binaries: $DF_ASYNCIO_BIN, else build/examples/asyncio under the repo.
set -u
check=0
lines=0
while :; do
    case "${1:-}" in
    --check) check=1; shift ;;
    --lines) lines=1; shift ;; # also print each DF-RESULT line (suites)
    *) break ;;
    esac
done
scale=${1:-1.0}
tol=${DF_ASYNCIO_TOL:-0.015}
timed=1
if [ "${DF_TIMING_TRUSTED:-1}" = 0 ]; then
    timed=0
    echo "note: DF_TIMING_TRUSTED=0, measured times are not compared"
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# The build copies this script beside the binaries (what `duckfeed suite
# asyncio` runs); from the source tree it looks in build/.
if [ -x "$here/sequential" ]; then
    bin=${DF_ASYNCIO_BIN:-$here}
else
    bin=${DF_ASYNCIO_BIN:-$root/build/examples/asyncio}
fi
examples="sequential create_then_await await_create_task taskgroup gather
as_completed wait_for wait timeout to_thread task_methods"

# Non-idle clock ticks of all CPUs so far (user nice system irq softirq
# steal), or nothing when /proc/stat cannot be read.
busy_ticks() {
    awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat 2>/dev/null
}
now_ns() { date +%s%N; }
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)

failed=0
printf '%-20s %10s %10s %4s\n' name expected_s measured_s ok
for ex in $examples; do
    if [ ! -x "$bin/$ex" ]; then
        printf '%-20s %10s %10s %4s\n' "$ex" - - "no (not built: $bin/$ex)"
        failed=1
        continue
    fi
    b0=$(busy_ticks)
    t0=$(now_ns)
    out=$("$bin/$ex" --scale "$scale" 2>&1)
    rc=$?
    t1=$(now_ns)
    b1=$(busy_ticks)
    line=$(printf '%s\n' "$out" | grep '^DF-RESULT ' | tail -n 1)
    exp=$(printf '%s\n' "$line" | sed -n 's/.*expected_s=\([0-9.]*\).*/\1/p')
    got=$(printf '%s\n' "$line" | sed -n 's/.*measured_s=\([0-9.]*\).*/\1/p')
    ok=no
    if [ "$rc" -eq 0 ] && [ -n "$exp" ] && [ -n "$got" ] &&
        { [ "$timed" -eq 0 ] ||
            awk -v e="$exp" -v g="$got" -v t="$tol" \
                'BEGIN { d = g - e; if (d < 0) d = -d; exit !(d <= t) }'; }; then
        ok=yes
    elif [ "$rc" -eq 0 ] && [ -n "$exp" ] && [ -n "$got" ] &&
        [ -n "$b0" ] && [ -n "$b1" ] &&
        awk -v e="$exp" -v g="$got" -v t="$tol" -v b="$((b1 - b0))" \
            -v hz="$hz" -v w="$((t1 - t0))" \
            'BEGIN { exit !(g - e > t && w > 0 && b / hz / (w / 1e9) > 0.25) }'; then
        ok="late (busy: other work took over a quarter of a core)"
    fi
    printf '%-20s %10s %10s %4s\n' "$ex" "${exp:--}" "${got:--}" "$ok"
    [ "$lines" -eq 1 ] && [ -n "$line" ] && printf '%s\n' "$line"
    if [ "$ok" = no ]; then
        failed=1
        [ "$check" -eq 1 ] && printf '%s\n' "$out" | sed 's/^/    | /'
    fi
done
[ "$check" -eq 1 ] && exit "$failed"
exit 0
