#!/bin/sh
# examples/http/compare-nginx.sh - #14's acceptance run: wrk on /noop
# against duckfeed serve (coroutine, 1 worker; process, 2 workers) and
# nginx-light's `return 200` (worker_processes 1 and 2), same run, same
# machine, loopback only. nginx runs as the user from a temporary prefix.
#   usage: examples/http/compare-nginx.sh [BUILD_DIR] [SECONDS]
# Needs wrk and nginx-light (Debian); prints one line per server and the
# load average before and after (other work on the machine skews it).
set -u
build=${1:-build}
secs=${2:-10}
exe=$build/duckfeed
for t in wrk nginx; do
    command -v $t >/dev/null || [ -x /usr/sbin/$t ] ||
        { echo "compare-nginx: needs $t (apt-get install wrk nginx-light)" >&2; exit 2; }
done
[ -x "$exe" ] || { echo "compare-nginx: no $exe (./run.sh build)" >&2; exit 2; }
tmp=$(mktemp -d) || exit 2
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

bench() { # bench NAME URL: one wrk run, one line
    out=$(wrk -t2 -c64 -d"${secs}s" "$2" 2>&1)
    rps=$(printf '%s\n' "$out" | sed -n 's/^Requests\/sec: *//p')
    err=$(printf '%s\n' "$out" | grep -E 'Socket errors|Non-2xx' | tr -s ' ' | tr '\n' ' ')
    printf '%-40s %12s req/s  %s\n' "$1" "$rps" "${err:-no errors}"
}

serve() { # serve NAME ARGS...: duckfeed serve on a free port, then bench
    name=$1; shift
    "$exe" serve "$@" --port 0 >"$tmp/serve.out" &
    pid=$!
    i=0
    while ! grep -q listening "$tmp/serve.out" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    port=$(sed -n 's|.*127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/serve.out")
    bench "$name" "http://127.0.0.1:$port/noop"
    kill "$pid"; wait "$pid" 2>/dev/null; pid=
}

nginx_bench() { # nginx_bench WORKERS PORT
    mkdir -p "$tmp/ng$1/logs"
    cat >"$tmp/ng$1/nginx.conf" <<CONF
worker_processes $1;
pid $tmp/ng$1/nginx.pid;
error_log $tmp/ng$1/logs/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $tmp/ng$1;
    server { listen 127.0.0.1:$2; location / { return 200 "ok\n"; } }
}
CONF
    nginx -p "$tmp/ng$1" -c "$tmp/ng$1/nginx.conf" -g 'daemon off;' 2>"$tmp/ng$1/stderr" &
    pid=$!
    sleep 0.5
    bench "nginx worker_processes $1" "http://127.0.0.1:$2/noop"
    kill "$pid"; wait "$pid" 2>/dev/null; pid=
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)  cores: $(nproc)  wrk -t2 -c64 -d${secs}s /noop"
nginx_bench 1 18081
serve "duckfeed serve --model coroutine" --model coroutine
nginx_bench 2 18082
serve "duckfeed serve --model process --workers 2" --model process --workers 2
serve "duckfeed serve --model asyncio" --model asyncio
serve "duckfeed serve --model thread --threads 4" --model thread --threads 4
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
