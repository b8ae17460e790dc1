#!/usr/bin/env bash
# tests/ssh_local.sh - `./run.sh test-ssh` (#16, outside CI): the GNU
# parallel --sshlogin recipe of docs/DISTRIBUTED.md against an sshd on
# 127.0.0.1 that this script starts and stops. Everything it needs - host
# key, user key, authorized_keys, sshd_config, ssh_config - lives in a
# temporary directory removed at the end; no system file is changed. The
# host "duck1" (127.0.0.1, a free port) has duckfeed on its PATH through
# the sshd's SetEnv, as the recipe asks of every host. A small plan, then
# a suite's plan, go through parallel -j1 --sshlogin duck1 with
# --basefile, --return and --cleanup, are merged and validated. Needs
# openssh-server, openssh-client, rsync, parallel and jq; $1 is the build
# directory.
set -euo pipefail
build=$(cd "${1:?usage: ssh_local.sh BUILD_DIR}" && pwd)
DF=$build/duckfeed
say() { printf 'test-ssh: %s\n' "$*"; }
for tool in /usr/sbin/sshd ssh ssh-keygen rsync parallel jq; do
    command -v $tool >/dev/null || { say "$tool is missing"; exit 1; }
done
start=$(date +%s.%N)
tmp=$(mktemp -d /tmp/duckfeed-ssh.XXXXXX)
stop() {
    ssh -F "$tmp/ssh_config" -O exit duck1 2>/dev/null || true
    [ -s "$tmp/sshd.pid" ] && kill "$(cat "$tmp/sshd.pid")" 2>/dev/null || true
    rm -rf "$tmp"
}
trap stop EXIT

# A free port on 127.0.0.1, from the kernel.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ssh-keygen -q -t ed25519 -N '' -f "$tmp/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/user_key"
cp "$tmp/user_key.pub" "$tmp/authorized_keys"
chmod 700 "$tmp"
cat >"$tmp/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $port
HostKey $tmp/host_key
PidFile $tmp/sshd.pid
AuthorizedKeysFile $tmp/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
SetEnv PATH=$build:/usr/local/bin:/usr/bin:/bin
CONF
cat >"$tmp/ssh_config" <<CONF
Host duck1
    HostName 127.0.0.1
    Port $port
    User $(id -un)
    IdentityFile $tmp/user_key
    IdentitiesOnly yes
    StrictHostKeyChecking accept-new
    UserKnownHostsFile $tmp/known_hosts
    BatchMode yes
    LogLevel ERROR
    # One connection reused: parallel opens several per item (the item,
    # --return's rsync, --cleanup); the recipe works without this.
    ControlMaster auto
    ControlPath $tmp/cm-%C
    ControlPersist 120
CONF
mkdir -p /run/sshd 2>/dev/null || true # privilege separation (Debian: tmpfiles)
/usr/sbin/sshd -f "$tmp/sshd_config" -E "$tmp/sshd.log"
for _ in $(seq 50); do [ -s "$tmp/sshd.pid" ] && break; sleep 0.1; done
ssh -F "$tmp/ssh_config" duck1 'command -v duckfeed' >"$tmp/which" ||
    { say "ssh to duck1 failed:"; cat "$tmp/sshd.log"; exit 1; }
say "sshd on 127.0.0.1:$port; duck1 runs $(cat "$tmp/which")"

mkdir "$tmp/work"
cd "$tmp/work"
remote() { # the recipe: parallel -j1 --sshlogin ... :::: PLAN
    parallel -j1 --sshlogin duck1 --ssh "ssh -F $tmp/ssh_config" \
        --basefile "$1" --return part-{#}.json --cleanup \
        --halt now,fail=1 --joblog "$1.log" \
        duckfeed run --quiet --plan-item "$1":{#} --out part-{#}.json \
        :::: "$1"
}

say "a sweep: 2 points x 2 repetitions"
"$DF" run --model process,thread --workload cpu:us=200 --workers 1 \
    --threads 1 --concurrency 1 --repeat 2 --duration 0.2s --warmup 0.05s \
    --plan plan.jsonl
remote plan.jsonl
mkdir -p results
"$DF" merge --plan plan.jsonl --out results/x.json part-*.json
"$DF" validate results/x.json
[ "$(jq .complete results/x.json)" = true ] || { say "not complete"; exit 1; }
[ ! -e ~/plan.jsonl ] && ! ls ~/part-*.json >/dev/null 2>&1 ||
    { say "--cleanup left files in ~ on duck1"; exit 1; }

say "a suite: duckfeed suite cpu --quick as parts"
rm -f part-*.json
"$DF" suite cpu --quick --plan suite.jsonl
remote suite.jsonl
"$DF" suite --merge suite.jsonl --results-dir results --plots-dir plots \
    part-*.json
"$DF" validate results/cpu.json
[ "$(jq .complete results/cpu.json)" = true ] || { say "not complete"; exit 1; }
say "jobs: $(($(wc -l <plan.jsonl.log) + $(wc -l <suite.jsonl.log) - 2)), on $(cut -f2 suite.jsonl.log | sed 1d | sort -u | tr '\n' ' ')"
say "passed in $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s"
