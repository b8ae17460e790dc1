#!/usr/bin/env bash
# tests/test_suite_distributed.sh - a suite run as parts (ctest
# "suite_distributed", #16): `duckfeed suite --plan`, the lines through
# GNU parallel -j1, `duckfeed suite --merge`; its REPORT.md says the same
# claim sentences, with the same verdicts, as a direct `duckfeed suite`
# of the same suite (numbers aside), and the merged file keeps the direct
# one's points. Also: merge names a missing line, refuses a part of
# another plan, and --plan refuses an examples suite.
# Needs GNU parallel and jq (./run.sh test installs both); DF_BUILD_DIR
# names the build.
set -euo pipefail
DF=${DF_BUILD_DIR:?}/duckfeed
for tool in parallel jq; do
    command -v $tool >/dev/null || {
        echo "suite_distributed: $tool is missing (./run.sh test installs it)"
        exit 1
    }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "suite_distributed: FAIL: $*"; exit 1; }

# Two runs, 2 repetitions each: sleeping requests, where 16 coroutines
# serve about 8 times what 2 processes do, so "at least 3x" holds and
# "at least 100x" does not, with room for a busy machine either way.
mkdir suites
common='"--workload", "sleep:ms=10", "--duration", "1s", "--warmup",
    "0.2s", "--repeat", "2", "--workers"'
cat >suites/pair.json <<JSON
{"name": "pair", "version": 1, "order": 1, "default": true,
 "title": "Parts", "sentence": "A suite measured as parts.",
 "runs": [
  {"label": "2 processes", "argv": ["--model", "process", $common, "2",
   "--concurrency", "2"]},
  {"label": "a loop", "argv": ["--model", "coroutine", $common, "1",
   "--concurrency", "16"]}],
 "plots": ["throughput"],
 "claims": [
  {"metric": "throughput_rps", "a": {"model": "coroutine"},
   "a_is": "16 coroutines", "b": {"model": "process"},
   "b_is": "2 processes", "expect": {"min": 3}},
  {"metric": "throughput_rps", "a": {"model": "coroutine"},
   "b": {"model": "process"}, "expect": {"min": 100}},
  {"metric": "throughput_rps", "a": {"model": "process"},
   "b": {"model": "coroutine"}}]}
JSON
cat >suites/script.json <<'JSON'
{"name": "script", "version": 1, "order": 2, "kind": "examples",
 "title": "A script", "sentence": "Runs a script.",
 "command": ["true"], "quick": ["true"], "claims": []}
JSON
S=(--suites-dir suites)

# The recipe of docs/DISTRIBUTED.md, one line at a time, then a direct
# run. On a machine busy enough to leave a point unsteady in one of the
# two (a claim then says "not measured" there), both are measured once
# more before the claims count as different.
measure() {
    rm -rf merged direct part-*.json
    "$DF" suite pair "${S[@]}" --plan plan.jsonl >plan.out
    parallel -j1 --halt now,fail=1 \
        "$DF" run --quiet --plan-item plan.jsonl:{#} --out part-{#}.json \
        :::: plan.jsonl
    "$DF" suite "${S[@]}" --merge plan.jsonl --results-dir merged \
        --plots-dir merged part-*.json >merge.out
    "$DF" suite pair "${S[@]}" --results-dir direct --plots-dir direct \
        >direct.out
    claims direct/REPORT.md >direct.claims
    claims merged/REPORT.md >merged.claims
}
claims() { # the claim lines of REPORT.md, numbers as N; not the note on
    # the machine's load (busy or quiet), which says how this machine was
    # during each run, not a claim
    sed -n '/^What the numbers say:/,/^|/p' "$1" | grep '^- ' |
        grep -v '^- \(\*\*\)\?the machine was' |
        sed -E 's/[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?/N/g'
}
measure
if ! diff -q direct.claims merged.claims >/dev/null &&
    grep -q 'not measured' direct.claims merged.claims; then
    echo "suite_distributed: a point unsteady (busy machine?), once more:"
    diff direct.claims merged.claims || true
    measure
fi
[ "$(wc -l <plan.jsonl)" = 4 ] || fail "the plan has not 4 lines"
[ "$(jq -c '.suite | [.name, .run]' plan.jsonl | sort -u | wc -l)" = 2 ] ||
    fail "the lines do not name 2 runs of the suite"
"$DF" validate merged/pair.json >/dev/null
[ "$(jq .complete merged/pair.json)" = true ] || fail "merged not complete"

# The same points, and the same claims with the same verdicts.
same='[.points[] | {model, workers, concurrency, workload_spec, repeat,
    repetitions_done, runs: [.repetitions[] | [.index, .order]]}]'
diff <(jq -c "$same" direct/pair.json) <(jq -c "$same" merged/pair.json) ||
    fail "merged points differ from a direct run's"
[ "$(wc -l <direct.claims)" = 3 ] || fail "not 3 claims: $(cat direct.claims)"
diff direct.claims merged.claims || fail "the reports' claims differ"
grep -q ': holds' merged.claims || fail "no claim holds: $(cat merged.claims)"
grep -q 'does NOT hold' merged.claims || fail "every claim holds"

# A line not measured: named by its line in the plan; the file says so.
rc=0
"$DF" suite "${S[@]}" --merge plan.jsonl --results-dir partial \
    --plots-dir partial part-1.json part-2.json part-4.json \
    >/dev/null 2>err || rc=$?
[ $rc = 1 ] || fail "missing line: exit $rc, not 1"
grep -q "lines 3 of plan.jsonl" err || fail "missing line: $(cat err)"
[ "$(jq .complete partial/pair.json)" = false ] || fail "partial: complete"

# A part of another plan is refused, naming it; nothing is written.
"$DF" run --model thread --workload cpu:us=200 --repeat 1 --duration 0.1s \
    --plan other.jsonl >/dev/null
"$DF" run --quiet --plan-item other.jsonl:1 --out other.json
rc=0
"$DF" suite "${S[@]}" --merge plan.jsonl --results-dir mixed part-1.json \
    other.json >/dev/null 2>err || rc=$?
[ $rc = 2 ] || fail "another plan: exit $rc, not 2"
grep -q "other.json: not a part of a suite's plan" err ||
    fail "another plan: $(cat err)"
[ ! -e mixed/pair.json ] || fail "another plan: a file was written"

# A sweep's plan is not a suite's.
rc=0
"$DF" suite "${S[@]}" --merge other.jsonl other.json >/dev/null 2>err ||
    rc=$?
[ $rc = 2 ] && grep -q "is not of a suite's plan" err ||
    fail "a sweep's plan: exit $rc, $(cat err)"

# An examples suite has no plan.
rc=0
"$DF" suite script "${S[@]}" --plan x.jsonl >/dev/null 2>err || rc=$?
[ $rc = 2 ] && grep -q "script runs an examples script" err ||
    fail "examples suite: exit $rc, $(cat err)"
echo "suite_distributed: ok"
