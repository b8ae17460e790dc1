#!/usr/bin/env bash
# tests/slurm_local.sh - `./run.sh test-slurm` (#16, outside CI): a one-node
# Slurm on this machine runs the recipe of docs/DISTRIBUTED.md - a plan as
# an array job (docs/slurm/item.sbatch, --exclusive), a dependent merge job
# (docs/slurm/merge.sbatch) - then the merged file is validated and
# compared with the plan. The daemons (munged unless one runs already,
# slurmctld, slurmd) use a config written into a temporary directory and
# are stopped at the end, whatever happens. Run as root, with slurm-wlm and
# munge installed; $1 is the build directory.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: slurm_local.sh BUILD_DIR}" && pwd)
say() { printf 'test-slurm: %s\n' "$*"; }
[ "$(id -u)" = 0 ] || { say "run as root (the daemons need it)"; exit 1; }

tmp=$(mktemp -d /tmp/duckfeed-slurm.XXXXXX)
host=$(hostname -s)
started_munge=0
stop() {
    local f
    for f in "$tmp/slurmd.pid" "$tmp/slurmctld.pid"; do
        [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    done
    if [ $started_munge = 1 ] && [ -s "$tmp/munged.pid" ]; then
        kill "$(cat "$tmp/munged.pid")" 2>/dev/null || true
    fi
    sleep 1
    rm -rf "$tmp"
}
trap stop EXIT

# munge: a key if there is none, a daemon if none answers.
if [ ! -s /etc/munge/munge.key ]; then
    say "creating /etc/munge/munge.key"
    mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key 2>/dev/null || true
fi
if ! munge -n </dev/null >/dev/null 2>&1; then
    mkdir -p /run/munge
    munged --force --pid-file="$tmp/munged.pid"
    started_munge=1
fi
munge -n </dev/null | unmunge >/dev/null || { say "munge does not work"; exit 1; }

mkdir -p "$tmp/state" "$tmp/spool" "$tmp/work/parts" "$tmp/work/results"
cat >"$tmp/slurm.conf" <<CONF
ClusterName=duckfeed
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=duckfeed Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
    sinfo -h -o %T 2>/dev/null | grep -q idle && break
    sleep 1
done
sinfo -h -o %T | grep -q idle || {
    say "the node did not come up"
    tail -n 20 "$tmp/slurmctld.log" "$tmp/slurmd.log"
    exit 1
}
say "one-node Slurm up ($host, $(nproc) CPUs)"

cd "$tmp/work"
export DUCKFEED=$build/duckfeed PLAN=plan.jsonl RESULTS=results/slurm.json
"$DUCKFEED" run --model process,thread,coroutine --workload cpu:us=200 \
    --concurrency 1,2 --repeat 2 --duration 0.2s --plan "$PLAN"
items=$(wc -l <"$PLAN")
array=$(sbatch --parsable --array=1-"$items" "$src/docs/slurm/item.sbatch")
merge=$(sbatch --parsable --dependency=afterany:"$array" \
    "$src/docs/slurm/merge.sbatch")
say "array job $array ($items items), merge job $merge"
for _ in $(seq 600); do
    [ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] && break
    sleep 1
done
[ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] ||
    { say "jobs still queued after 10 minutes"; squeue; exit 1; }
cat merge.log
"$DUCKFEED" validate "$RESULTS"
[ "$(jq .complete "$RESULTS")" = true ] || { say "not complete"; exit 1; }
[ "$(ls parts/part-*.json | wc -l)" = "$items" ] || { say "parts missing"; exit 1; }
say "$(jq '.points | length' "$RESULTS") points from $items items, complete"
