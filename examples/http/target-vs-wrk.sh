#!/usr/bin/env bash
# examples/http/target-vs-wrk.sh - duckfeed's load generator against wrk on
# the same nginx (#14): req/s agreement and each client's CPU per request.
#
# usage: examples/http/target-vs-wrk.sh [BUILD_DIR] [ROUNDS] [SECONDS] [SERVER]
#   BUILD_DIR  where the duckfeed binary is (default build)
#   ROUNDS     alternations wrk -t2, wrk -t1, duckfeed (default 3): a busy machine drifts,
#              alternating spreads the drift over both
#   SECONDS    per run (default 10, as wrk -d10s)
#   SERVER     nginx (default) or serve: `duckfeed serve --model coroutine`
#              (1 worker) answering /noop, instead of nginx
#
# nginx-light (Debian) serves `return 200` from a temporary prefix with
# worker_processes 1 on a free loopback port. Each round runs
#   wrk -t2 -c64 -d${SECONDS}s URL
#   duckfeed run --target URL --concurrency 64 --duration ${SECONDS}
#   wrk -t1 -c64 -d${SECS}s URL  (one client thread, as duckfeed's loop)
# and takes wrk's CPU from the shell's `times` (its children) and
# duckfeed's from its point's "http.client_cpu_ns_per_request" (getrusage
# of the generating process). Prints one line per run, then medians.
# Needs: nginx-light wrk jq (apt-get install -y nginx-light wrk jq).
set -euo pipefail

BUILD=${1:-build}
ROUNDS=${2:-3}
SECS=${3:-10}
SERVER=${4:-nginx}
DUCKFEED=$BUILD/duckfeed
for tool in nginx wrk jq; do
    command -v "$tool" >/dev/null || {
        echo "target-vs-wrk: $tool missing (apt-get install -y nginx-light wrk jq)" >&2
        exit 2
    }
done
[ -x "$DUCKFEED" ] || { echo "target-vs-wrk: no $DUCKFEED (./run.sh build)" >&2; exit 2; }

TMP=$(mktemp -d /tmp/df-target-vs-wrk.XXXXXX)
NGINX_PID=
cleanup() {
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

start_nginx() {
    # A free port: bind 0, read it back, let it go (nginx takes it at once).
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    URL=http://127.0.0.1:$PORT/
    mkdir -p "$TMP/logs"
    cat >"$TMP/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/logs/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $TMP/body;
    proxy_temp_path $TMP/proxy;
    fastcgi_temp_path $TMP/fastcgi;
    uwsgi_temp_path $TMP/uwsgi;
    scgi_temp_path $TMP/scgi;
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:$PORT;
        location / { return 200; }
    }
}
EOF
    nginx -p "$TMP" -c "$TMP/nginx.conf" &
    NGINX_PID=$!
    DESC="nginx-light worker_processes 1"
}

start_serve() {
    "$DUCKFEED" serve --model coroutine --port 0 >"$TMP/serve.out" &
    NGINX_PID=$!
    for _ in $(seq 100); do
        grep -q listening "$TMP/serve.out" && break
        sleep 0.05
    done
    PORT=$(sed -n 's|.*127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/serve.out")
    URL=http://127.0.0.1:$PORT/noop
    DESC="duckfeed serve --model coroutine"
}

case $SERVER in
    nginx) start_nginx ;;
    serve) start_serve ;;
    *) echo "target-vs-wrk: SERVER is nginx or serve, not $SERVER" >&2; exit 2 ;;
esac
for _ in $(seq 50); do
    wrk -t1 -c1 -d0.1s "$URL" >/dev/null 2>&1 && break
    sleep 0.1
done

echo "# $(nproc) CPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $DESC at $URL; $ROUNDS rounds of ${SECS}s"
printf '%-9s %5s %12s %14s\n' tool round req/s cpu_ns/req

# wrk's req/s and CPU per request: `times` in a subshell gives the CPU of
# its children (wrk) as "0m1.234s 0m2.345s" on its second line.
# run_wrk NAME THREADS ROUND
run_wrk() {
    ( wrk -t"$2" -c64 -d"${SECS}s" "$URL" >"$TMP/wrk.out"; times >"$TMP/wrk.times" )
    local rps n cpu
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk.out")
    n=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
    cpu=$(sed -n 2p "$TMP/wrk.times" | awk '{
        split($1, u, /[ms]/); split($2, s, /[ms]/);
        print (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1e9 }')
    awk -v t="$1" -v r="$3" -v rps="$rps" -v cpu="$cpu" -v n="$n" \
        'BEGIN {printf "%-9s %5s %12.0f %14.0f\n", t, r, rps, cpu / n}'
}

run_duckfeed() {
    "$DUCKFEED" run --target "$URL" --concurrency 64 --duration "$SECS" \
        --warmup 1s --repeat 1 --quiet --out "$TMP/df.json"
    jq -r --arg r "$1" '.points[0] | "duckfeed \($r) \(.throughput_rps) \(.http.client_cpu_ns_per_request) \(.errors)"' \
        "$TMP/df.json" | awk '{printf "%-9s %5s %12.0f %14.0f%s\n", $1, $2, $3, $4, ($5 > 0 ? "  errors " $5 : "")}'
}

for r in $(seq "$ROUNDS"); do
    run_wrk wrk 2 "$r" | tee -a "$TMP/all"
    run_wrk wrk-t1 1 "$r" | tee -a "$TMP/all"
    run_duckfeed "$r" | tee -a "$TMP/all"
done

echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
W=$(awk '$1=="wrk" {print $3}' "$TMP/all" | median)
W1=$(awk '$1=="wrk-t1" {print $3}' "$TMP/all" | median)
D=$(awk '$1=="duckfeed" {print $3}' "$TMP/all" | median)
WC=$(awk '$1=="wrk" {print $4}' "$TMP/all" | median)
DC=$(awk '$1=="duckfeed" {print $4}' "$TMP/all" | median)
# Each round's duckfeed run against the wrk -t2 run of the same round: a paired
# ratio, robust to the slow drift of a shared machine's load.
R=$(awk '$1=="wrk" {w=$3} $1=="duckfeed" {print $3 / w}' "$TMP/all" | median)
echo "paired duckfeed/wrk per round: $(awk '$1=="wrk" {w=$3} $1=="duckfeed" {printf "%.3f ", $3 / w}' "$TMP/all")(median $R)"
awk -v w="$W" -v d="$D" 'BEGIN {printf "median req/s: wrk %.0f, duckfeed %.0f (duckfeed/wrk %.3f)\n", w, d, d / w}'
awk -v w="$W1" -v d="$D" 'BEGIN {printf "median req/s: wrk -t1 %.0f (duckfeed/wrk -t1 %.3f)\n", w, d / w}'
R1=$(awk '$1=="wrk-t1" {w=$3} $1=="duckfeed" {print $3 / w}' "$TMP/all" | median)
echo "paired duckfeed/wrk -t1 per round: $(awk '$1=="wrk-t1" {w=$3} $1=="duckfeed" {printf "%.3f ", $3 / w}' "$TMP/all")(median $R1)"
printf 'median client CPU per request: wrk %.0f ns, duckfeed %.0f ns\n' "$WC" "$DC"
