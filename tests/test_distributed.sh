#!/usr/bin/env bash
# tests/test_distributed.sh - a plan run through GNU parallel (ctest
# "distributed", #16): its parts merge into a file validate accepts, whose
# points are those of a direct run of the same sweep (same identities,
# repetitions and run order); merge refuses a part of another plan, names
# a missing item, and keeps two machines' repetitions apart.
# Needs GNU parallel and jq (./run.sh test installs both); DF_BUILD_DIR
# names the build.
set -euo pipefail
DF=${DF_BUILD_DIR:?}/duckfeed
for tool in parallel jq; do
    command -v $tool >/dev/null || {
        echo "distributed: $tool is missing (./run.sh test installs it)"
        exit 1
    }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "distributed: FAIL: $*"; exit 1; }

# 2 points x 2 repetitions, a tenth of a second each.
sweep=(--model process,thread --workload cpu:us=200 --workers 1
    --threads 1 --concurrency 1 --repeat 2 --duration 0.1s
    --warmup 0.02s --seed 7)
"$DF" run "${sweep[@]}" --plan plan.jsonl >/dev/null
[ "$(wc -l <plan.jsonl)" = 4 ] || fail "the plan has not 4 lines"

# The recipe of docs/DISTRIBUTED.md, one item at a time.
parallel -j1 --halt now,fail=1 \
    "$DF" run --quiet --plan-item plan.jsonl:{#} --out part-{#}.json \
    :::: plan.jsonl
"$DF" merge --out merged.json part-*.json >merge.out
"$DF" validate merged.json >/dev/null
[ "$(jq .complete merged.json)" = true ] || fail "merged file not complete"

"$DF" run --quiet "${sweep[@]}" --out direct.json
same='[.points[] | {model, workers, threads, workload_spec, concurrency,
    repeat, repetitions_done, status, runs: [.repetitions[] | [.index, .order]]}]'
diff <(jq -c "$same" direct.json) <(jq -c "$same" merged.json) ||
    fail "merged points differ from a direct run's"
[ "$(jq '.points | length' merged.json)" = 2 ] || fail "not 2 points"

# A part of another plan is refused, naming it.
"$DF" run --model thread --workload cpu:us=200 --repeat 1 --duration 0.1s \
    --plan other.jsonl >/dev/null
"$DF" run --quiet --plan-item other.jsonl:1 --out other.json
rc=0
"$DF" merge --out mixed.json part-1.json other.json 2>err || rc=$?
[ $rc = 2 ] || fail "mixed plans: exit $rc, not 2"
grep -q "other.json is a part of plan" err || fail "mixed plans: $(cat err)"
[ ! -e mixed.json ] || fail "mixed plans: a file was written"

# A missing item is named, and the file says it is not complete.
rc=0
"$DF" merge --plan plan.jsonl --out partial.json part-1.json part-2.json \
    part-4.json 2>err || rc=$?
[ $rc = 1 ] || fail "missing item: exit $rc, not 1"
grep -q "missing 1 of 4 items (3)" err || fail "missing item: $(cat err)"
[ "$(jq -c '[.complete, .plan.missing]' partial.json)" = '[false,[3]]' ] ||
    fail "missing item: $(jq -c .plan partial.json)"
"$DF" validate partial.json >/dev/null

# Item 1 as if measured elsewhere: its point splits by machine.
jq '.machine.hostname = "elsewhere"' part-1.json >far-1.json
"$DF" merge --out two.json far-1.json part-2.json part-3.json part-4.json \
    2>err
grep -q "measured on 2 machines" err || fail "two machines: $(cat err)"
"$DF" validate two.json >/dev/null
[ "$(jq '.points | length' two.json)" = 3 ] || fail "two machines: not 3"
[ "$(jq -c '[.points[].machine] | unique | length' two.json)" = 2 ] ||
    fail "two machines: points do not say their machine"

# The report: one table per machine, and a sentence saying so; a file of
# one machine keeps its single table.
mkdir one many
suite='{"name": "dist", "title": "Distributed", "version": 1, "order": 1,
    "sentence": "parts merged", "claims": []}'
jq --argjson s "$suite" '.suite = $s' two.json >many/dist.json
jq --argjson s "$suite" '.suite = $s' merged.json >one/dist.json
"$DF" report --results-dir many --plots-dir many >/dev/null
"$DF" report --results-dir one --plots-dir one >/dev/null
grep -q "measured on 2 machines" many/REPORT.md || fail "report: no sentence"
[ "$(grep -c '^On `' many/REPORT.md)" = 2 ] || fail "report: not 2 tables"
! grep -q "machines" one/REPORT.md || fail "report: one machine, grouped"
echo "distributed: ok"
