#!/usr/bin/env bash
# run.sh - duckfeed's one entry point: install what is missing, build, then
# run the comparison (default), the tests, or chosen suites.
set -euo pipefail
cd "$(dirname "$0")"

BUILD=build
ASAN_BUILD=build-asan
TSAN_BUILD=build-tsan
FUZZ_BUILD=build-fuzz
PACKAGES=(cmake gcc make pkg-config libjansson-dev libcmocka-dev gnuplot-nox libssl-dev
    libhttp-parser-dev)
# chromium: the report_html test opens results/report.html in it, headless.
# clang, libfuzzer-14-dev: the fuzz targets run at the end of the tests.
# wrk, python3: the real suite's pieces are tested against a fake server.
TEST_PACKAGES=(valgrind clang-format parallel jq chromium clang libfuzzer-14-dev wrk python3)
# ./run.sh real (#15): the real servers, Debian's python3 and its GIL.
REAL_PACKAGES=(python3 gunicorn python3-uvicorn python3-uvloop python3-gevent wrk)
SLURM_PACKAGES=(slurm-wlm munge jq)
SSH_PACKAGES=(openssh-server openssh-client rsync parallel jq)
FUZZ_PACKAGES=(clang libfuzzer-14-dev)
FUZZ_TARGETS=(params cli suite resfile validate table)

usage() {
    cat <<'TXT'
usage: ./run.sh [--quick] [SUITE...]   run suites (default: the default set),
                                       write results/, plots/, results/REPORT.md
                                       and results/report.html
       ./run.sh --list                 list the suites and what each shows
       ./run.sh test                   build and run every test and check
                                       (layers, format); the tests again
                                       under AddressSanitizer+UBSan, those
                                       labelled tsan under
                                       ThreadSanitizer, and those labelled
                                       valgrind under valgrind, all without
                                       timing assertions; each fuzz target
                                       for 10 s
       ./run.sh test-slurm             a one-node Slurm on this machine (as
                                       root) runs a plan as an array job and
                                       merges it (docs/DISTRIBUTED.md); not
                                       part of `test`
       ./run.sh test-ssh               the GNU parallel --sshlogin recipe
                                       against an sshd on 127.0.0.1 it
                                       starts and stops (a sweep's plan and
                                       a suite's); not part of `test`
       ./run.sh bench [NAME...]        duckfeed's own costs (switches, locks,
                                       harness overhead)
       ./run.sh fuzz [SECONDS]         build the libFuzzer targets (clang) in
                                       build-fuzz/ and run each for SECONDS
                                       (default 60); per target: execs/s,
                                       corpus size, crashes
       ./run.sh build                  install what is missing and build only
       ./run.sh soak [MINUTES]         load and soak, a benchmark (not in
                                       test): 1 M sleeping requests on
                                       coroutines with shared stacks, 10 k
                                       threads, then the default suites
                                       (--quick) in a loop for MINUTES
                                       (default 10), printing duckfeed's
                                       RSS and open descriptors
       ./run.sh real [--quick]         the real servers (gunicorn sync,
                                       gthread, gevent; uvicorn) beside the
                                       models standing for them, and
                                       CPython's GIL beside the simulated
                                       one (docs/FIDELITY.md); not in the
                                       default set; 16 min on a shared
                                       2-vCPU machine (--quick: concurrency
                                       1 and 64, 1 s per cell):
                                       results/calibration.json,
                                       results/real.json,
                                       results/gil-real.json,
                                       results/REAL.md, plots/real-*.png
       ./run.sh report                 rewrite results/REPORT.md and
                                       report.html from results/ (no runs)
       ./run.sh --help                 this text

options:
  --quick       shorter runs (the default set in about 2 minutes)
  --no-install  never call apt-get; fail if something is missing

Everything is built in build/; the command itself is build/duckfeed
(build/duckfeed --help). Missing packages are installed with apt-get as
root, with sudo otherwise; if neither works the exact command is printed.
TXT
}

say() { printf 'run.sh: %s\n' "$*" >&2; }

missing_packages() {
    local p
    for p in "$@"; do
        if command -v dpkg-query >/dev/null 2>&1; then
            dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
                || printf '%s\n' "$p"
        fi
    done
}

install_missing() {
    local missing
    missing=$(missing_packages "$@")
    [ -z "$missing" ] && return 0
    # shellcheck disable=SC2086
    set -- $missing
    if [ "${NO_INSTALL:-0}" = 1 ]; then
        say "missing packages: $*; install them with: sudo apt-get install -y $*"
        exit 1
    fi
    say "installing missing packages: $*"
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
    else
        say "cannot install as $(id -un); run this, then ./run.sh again:"
        printf '    sudo apt-get install -y %s\n' "$*" >&2
        exit 1
    fi
}

# #18: an option run.sh does not know is named, with the nearest one
# (a typo such as --quik otherwise reached duckfeed suite as a bare error).
check_options() {
    local a
    for a in "$@"; do
        case "$a" in
        --quick | --list | --no-install | --results-dir | --plots-dir | --suites-dir | -h | --help) ;;
        --q* | -q*) say "unknown option $a (did you mean --quick?)"; exit 2 ;;
        --l*) say "unknown option $a (did you mean --list?)"; exit 2 ;;
        -*) say "unknown option $a (options: --quick, --list, --no-install; see --help)"; exit 2 ;;
        esac
    done
}

jobs() { nproc 2>/dev/null || echo 2; }

build() { # build DIR [cmake args...]
    local dir=$1
    shift
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j "$(jobs)" >/dev/null
}

run_tests() {
    install_missing "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    say "building ($BUILD, warnings are errors)"
    build "$BUILD" -DDF_WERROR=ON
    say "tests and checks"
    (cd "$BUILD" && ctest --output-on-failure -j 2 --timeout 300)
    say "sanitizer build ($ASAN_BUILD: address,undefined)"
    build "$ASAN_BUILD" -DDF_WERROR=ON -DDF_SANITIZE=address,undefined
    # Every test but the checks, which read the sources the pass above
    # already read; timing assertions are off in this build.
    (cd "$ASAN_BUILD" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --output-on-failure -j 2 -LE check --timeout 600)
    run_tsan_tests
    say "valgrind (the tests labelled valgrind)"
    local t names
    names=$(cd "$BUILD" && ctest -N -L valgrind | sed -n 's/^ *Test *#[0-9]*: //p')
    for t in $names; do
        DF_BUILD_DIR=$PWD/$BUILD valgrind -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite "$BUILD/tests/test_$t" >"$BUILD/valgrind-$t.log" 2>&1 \
            || { say "valgrind: $t failed (see $BUILD/valgrind-$t.log)"; exit 1; }
        say "valgrind: $t clean"
    done
    say "fuzz targets (10 s each)"
    run_fuzz 10
    say "all tests passed"
}

# The dictionary of a target's input language (tests/fuzz/*.dict).
fuzz_dict() {
    case $1 in
    resfile | validate | table) echo tests/fuzz/results.dict ;;
    *) echo "tests/fuzz/$1.dict" ;;
    esac
}

# run_fuzz SECONDS: builds the libFuzzer targets in $FUZZ_BUILD, replays
# the committed inputs, then fuzzes each target for SECONDS, growing a
# corpus in $FUZZ_BUILD/corpus/<target> from tests/fuzz/corpus/<target>.
# Crash inputs land in $FUZZ_BUILD/crashes/<target>/; any crash fails.
run_fuzz() {
    local secs=$1 t out log dict n rate corpus failed=0
    local dict_arg=()
    install_missing "${PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"
    say "building ($FUZZ_BUILD: clang, libFuzzer, address,undefined)"
    cmake -S . -B "$FUZZ_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDF_FUZZ=ON \
        -DCMAKE_C_COMPILER=clang -DCMAKE_ASM_COMPILER=clang >/dev/null
    cmake --build "$FUZZ_BUILD" -j "$(jobs)" --target df_fuzz_all >/dev/null
    (cd "$FUZZ_BUILD" && ctest --output-on-failure -L fuzz >"fuzz-replay.log" 2>&1) \
        || { say "fuzz: a committed input fails (see $FUZZ_BUILD/fuzz-replay.log)"; exit 1; }
    printf '%-9s %9s %15s %8s\n' target execs/s "corpus (size)" crashes
    for t in "${FUZZ_TARGETS[@]}"; do
        out=$FUZZ_BUILD/crashes/$t
        log=$FUZZ_BUILD/fuzz-$t.log
        dict=$(fuzz_dict "$t")
        dict_arg=()
        [ -f "$dict" ] && dict_arg=(-dict="$dict")
        mkdir -p "$FUZZ_BUILD/corpus/$t" "$out"
        n=$(find "$out" -type f | wc -l)
        # New inputs go to the first folder; the committed seeds stay as
        # they are. A crash, leak or timeout stops the target.
        "$FUZZ_BUILD/tests/fuzz/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
            -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/" "${dict_arg[@]}" \
            "$FUZZ_BUILD/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1 || true
        n=$(($(find "$out" -type f | wc -l) - n))
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        corpus=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2)
        printf '%-9s %9s %15s %8s\n' "$t" "${rate:-?}" "${corpus%/*} (${corpus#*/})" "$n"
        if [ "$n" != 0 ]; then
            say "fuzz: $t: $n crash input(s) in $out/ (log: $log)"
            failed=1
        elif [ -z "$rate" ]; then
            say "fuzz: $t did not run (log: $log)"
            failed=1
        fi
    done
    [ "$failed" = 0 ] || exit 1
}

# The tests of threads sharing memory (label tsan) under ThreadSanitizer:
# any data race is an error (exit status 66 from the test).
run_tsan_tests() {
    say "thread sanitizer build ($TSAN_BUILD: the tests labelled tsan)"
    build "$TSAN_BUILD" -DDF_WERROR=ON -DDF_SANITIZE=thread
    (cd "$TSAN_BUILD" && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
        ctest --output-on-failure -j 2 -L tsan --timeout 600)
}

# soak: build/soak/ holds the runs' files; LOAD_TIMEOUT bounds each load
# point past its window, SAMPLE_S is the sampling period of the loop.
SOAK_DIR=$BUILD/soak
SOAK_LOAD_TIMEOUT=300s
SOAK_SAMPLE_S=1

# Each point of FILE (a results file) on one line: its figures, or why it
# failed.
soak_point_summary() { # FILE WHAT SECONDS
    jq -r --arg what "$2" --arg secs "$3" '.points[] |
        "\($what) \(.model) gil=\(.gil // "-"): \(.status), " +
        "\(.completed // 0) completed, \(.errors // 0) errors, " +
        "\(.throughput_rps // 0) req/s, p99 \((.latency_us.p99 // 0) / 1000) ms, " +
        "in flight \(.inflight_mean // 0), point RSS " +
        "\(((.max_rss_bytes // 0) / 1048576) | floor) MiB (\($secs) s for the run)" +
        (if .failure then " - " + .failure else "" end)' "$1"
}

# Fails (exit 1) unless every point of FILE is ok with no errors.
soak_check() { # FILE
    jq -e '[.points[] | select(.status != "ok" or (.errors // 0) != 0)]
        | length == 0' "$1" >/dev/null || { say "soak: $1 has failed points"; exit 1; }
}

# The two loads, each one point in a results file.
soak_loads() {
    local t0 secs out
    out=$SOAK_DIR/load-coroutine-1m.json
    say "load: 1,000,000 clients sleeping 1 s, one coroutine loop, shared stacks"
    t0=$(date +%s)
    "$BUILD/duckfeed" run --model coroutine --stack shared \
        --workload sleep:ms=1000 --concurrency 1000000 --duration 5s \
        --repeat 1 --timeout "$SOAK_LOAD_TIMEOUT" --quiet --force --out "$out"
    secs=$(($(date +%s) - t0))
    soak_point_summary "$out" "load 1M:" "$secs"
    soak_check "$out"
    # 10 k threads start on demand, slowly under the GIL (each waiter
    # wakes every switch interval): the warm-up lets them all start.
    out=$SOAK_DIR/load-thread-10k.json
    say "load: 10,000 threads, 10,000 clients sleeping 100 ms, GIL new and off"
    t0=$(date +%s)
    "$BUILD/duckfeed" run --model thread --threads 10000 --gil new,off \
        --workload sleep:ms=100 --concurrency 10000 --warmup 20s \
        --duration 5s --repeat 1 --timeout "$SOAK_LOAD_TIMEOUT" --quiet \
        --force --out "$out"
    secs=$(($(date +%s) - t0))
    soak_point_summary "$out" "load 10k:" "$secs"
    soak_check "$out"
}

# VmRSS (KiB) and open descriptors of PID, or nothing once it is gone.
soak_sample() { # PID
    local rss fds
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 0
    fds=$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    [ -n "$rss" ] && printf '%s %s\n' "$rss" "$fds"
}

# The default suites (--quick) again and again for MINUTES; each run's
# duckfeed is sampled every SOAK_SAMPLE_S and its peak RSS and descriptors
# printed, then the first and last runs' figures side by side.
soak_loop() { # MINUTES
    local end pid rc n=0 failed=0 peak_rss peak_fds s first="" last=""
    end=$(($(date +%s) + $1 * 60))
    say "soak: duckfeed suite --quick in a loop for $1 min"
    while [ "$(date +%s)" -lt "$end" ]; do
        n=$((n + 1))
        "$BUILD/duckfeed" suite --quick --results-dir "$SOAK_DIR/results" \
            --plots-dir "$SOAK_DIR/plots" >"$SOAK_DIR/suite-$n.log" 2>&1 &
        pid=$!
        peak_rss=0
        peak_fds=0
        while kill -0 "$pid" 2>/dev/null; do
            s=$(soak_sample "$pid")
            if [ -n "$s" ]; then
                set -- $s
                [ "$1" -gt "$peak_rss" ] && peak_rss=$1
                [ "$2" -gt "$peak_fds" ] && peak_fds=$2
            fi
            sleep "$SOAK_SAMPLE_S"
        done
        rc=0
        wait "$pid" || rc=$?
        [ "$rc" -eq 0 ] || failed=$((failed + 1))
        last="RSS $((peak_rss / 1024)) MiB, $peak_fds descriptors"
        [ -n "$first" ] || first=$last
        say "soak: run $n: exit $rc, peak $last"
    done
    say "soak: $n runs, $failed failed; first run: $first; last run: $last"
    [ "$failed" -eq 0 ] || { say "soak: see $SOAK_DIR/suite-*.log"; exit 1; }
}

run_soak() { # [MINUTES]
    local minutes=${1:-10}
    case "$minutes" in
    '' | *[!0-9]* | 0) say "soak: MINUTES must be a whole number >= 1, not '$minutes'"; exit 2 ;;
    esac
    install_missing "${PACKAGES[@]}" jq
    say "building ($BUILD)"
    build "$BUILD"
    mkdir -p "$SOAK_DIR"
    soak_loads
    soak_loop "$minutes"
}

# #16: docs/DISTRIBUTED.md's --sshlogin recipe for real, on this machine
# (tests/ssh_local.sh: a throwaway sshd on 127.0.0.1, nothing kept).
run_test_ssh() {
    install_missing "${PACKAGES[@]}" "${SSH_PACKAGES[@]}"
    say "building ($BUILD)"
    build "$BUILD"
    exec tests/ssh_local.sh "$BUILD"
}

main() {
    local cmd=${1:-}
    case "$cmd" in
    -h | --help | help) usage; exit 0 ;;
    esac
    NO_INSTALL=0
    local args=()
    for a in "$@"; do
        if [ "$a" = --no-install ]; then NO_INSTALL=1; else args+=("$a"); fi
    done
    set -- "${args[@]+"${args[@]}"}"
    case "${1:-}" in
    test) shift; [ $# -eq 0 ] || { say "test takes no arguments"; exit 2; }; run_tests ;;
    test-slurm)
        install_missing "${PACKAGES[@]}" "${SLURM_PACKAGES[@]}"
        build "$BUILD"
        exec tests/slurm_local.sh "$BUILD"
        ;;
    test-ssh) run_test_ssh ;;
    build) install_missing "${PACKAGES[@]}"; build "$BUILD"; say "built $BUILD/duckfeed" ;;
    soak) shift; [ $# -le 1 ] || { say "soak takes at most MINUTES"; exit 2; }; run_soak "$@" ;;
    real)
        shift
        [ $# -eq 0 ] || [ "$*" = --quick ] || { say "real takes only --quick"; exit 2; }
        install_missing "${PACKAGES[@]}" "${REAL_PACKAGES[@]}"
        build "$BUILD"
        mkdir -p results plots
        # A server that could not be measured (exit 1) does not stop the
        # GIL figures; the worse status is the result.
        local rc=0
        # #15: each server's own cost per request first, then the table
        # with and without charging it.
        /usr/bin/python3 examples/python/real.py "$@" \
            --calibrate results/calibration.json || exit $?
        /usr/bin/python3 examples/python/real.py "$@" \
            --calibration results/calibration.json || rc=$?
        /usr/bin/python3 examples/python/gil_real.py "$@" || rc=$?
        exit "$rc"
        ;;
    report) shift; install_missing "${PACKAGES[@]}"; build "$BUILD"; exec "$BUILD/duckfeed" report "$@" ;;
    tests | check | ctest) say "no such suite or command: $1 (did you mean: ./run.sh test?)"; exit 2 ;;
    fuzz)
        shift
        [ $# -le 1 ] && [[ ${1:-60} =~ ^[1-9][0-9]*$ ]] \
            || { say "fuzz takes one argument, seconds per target (default 60)"; exit 2; }
        run_fuzz "${1:-60}"
        ;;
    bench) shift; install_missing "${PACKAGES[@]}"; build "$BUILD"; exec "$BUILD/duckfeed" bench "$@" ;;
    --list) install_missing "${PACKAGES[@]}"; build "$BUILD"; exec "$BUILD/duckfeed" suite --list ;;
    *)
        check_options "$@"
        install_missing "${PACKAGES[@]}"
        say "building ($BUILD)"
        build "$BUILD"
        mkdir -p results plots
        exec "$BUILD/duckfeed" suite "$@"
        ;;
    esac
}

main "$@"
