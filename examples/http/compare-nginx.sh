#!/bin/bash
# examples/http/compare-nginx.sh - #14's acceptance run: wrk on /noop
# against duckfeed serve, nginx-light's `return 200` and the real Python
# servers, same run, same machine, loopback only.
#   usage: examples/http/compare-nginx.sh [BUILD_DIR] [SECONDS]
# Needs wrk and nginx-light (Debian); gunicorn and python3-uvicorn when
# installed (else their lines say so). nginx runs as the user from a
# temporary prefix, twice per worker count: with keep-alive (the
# machine's ceiling) and with keepalive_timeout 0, which closes after
# every response as gunicorn sync and `serve --model process` do (the
# fair ceiling for them: each request pays a TCP connect and close).
# Each line carries the 1-minute load average when it started; the last
# lines give the acceptance ratios.
set -u
build=${1:-build}
secs=${2:-10}
exe=$build/duckfeed
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3 # Debian's gunicorn and uvicorn live in its path
for t in wrk nginx; do
    command -v $t >/dev/null || [ -x /usr/sbin/$t ] ||
        { echo "compare-nginx: needs $t (apt-get install wrk nginx-light)" >&2; exit 2; }
done
[ -x "$exe" ] || { echo "compare-nginx: no $exe (./run.sh build)" >&2; exit 2; }
tmp=$(mktemp -d) || exit 2
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
declare -A rps_of

bench() { # bench KEY NAME URL: one wrk run, one line
    local load out rps err
    load=$(cut -d' ' -f1 /proc/loadavg)
    out=$(wrk -t2 -c64 -d"${secs}s" "$3" 2>&1)
    rps=$(printf '%s\n' "$out" | sed -n 's/^Requests\/sec: *//p')
    err=$(printf '%s\n' "$out" | grep -E 'Socket errors|Non-2xx' | tr -s ' ' | tr '\n' ' ')
    rps_of[$1]=${rps:-0}
    printf '%-44s %10s req/s  load %5s  %s\n' "$2" "${rps:-none}" "$load" "${err:-no errors}"
}

wait_port() { # wait_port PORT: until something listens (at most 10 s)
    for _ in $(seq 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

stop() {
    kill "$pid"; wait "$pid" 2>/dev/null; pid=
}

serve() { # serve KEY NAME ARGS...: duckfeed serve on a free port, then bench
    local key=$1 name=$2 port
    shift 2
    : >"$tmp/serve.out" # not the last server's line (see the loop below)
    "$exe" serve "$@" --port 0 >"$tmp/serve.out" &
    pid=$!
    for _ in $(seq 200); do grep -q listening "$tmp/serve.out" && break; sleep 0.05; done
    port=$(sed -n 's|.*127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/serve.out")
    bench "$key" "$name" "http://127.0.0.1:$port/noop"
    stop
}

nginx_bench() { # nginx_bench KEY WORKERS PORT KEEPALIVE_TIMEOUT
    local d=$tmp/ng$3
    mkdir -p "$d/logs"
    cat >"$d/nginx.conf" <<CONF
worker_processes $2;
pid $d/nginx.pid;
error_log $d/logs/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_timeout $4;
    client_body_temp_path $d;
    server { listen 127.0.0.1:$3; location / { return 200 "ok\n"; } }
}
CONF
    nginx -p "$d" -c "$d/nginx.conf" -g 'daemon off;' 2>"$d/stderr" &
    pid=$!
    wait_port "$3"
    bench "$1" "nginx worker_processes $2 keepalive_timeout $4" "http://127.0.0.1:$3/noop"
    stop
}

python_bench() { # python_bench KEY NAME PORT MODULE ARGS...: a real server
    local key=$1 name=$2 port=$3 mod=$4
    shift 4
    if ! "$py" -c "import $mod" 2>/dev/null; then
        printf '%-44s %10s\n' "$name" "skipped: no $mod (apt-get install $([ "$mod" = uvicorn ] && echo python3-uvicorn || echo gunicorn))"
        return
    fi
    (cd "$here" && exec "$py" -m "$mod" "$@") >"$tmp/$key.log" 2>&1 &
    pid=$!
    if wait_port "$port"; then
        bench "$key" "$name" "http://127.0.0.1:$port/noop"
    else
        printf '%-44s %10s\n' "$name" "did not start: $(tail -1 "$tmp/$key.log")"
    fi
    stop
}

ratio() { # ratio NAME A B: A / B of the figures above
    awk -v a="${rps_of[$2]:-0}" -v b="${rps_of[$3]:-0}" -v n="$1" \
        'BEGIN { if (b > 0) printf "%-58s %6.2fx\n", n, a / b }'
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)  cores: $(nproc)  wrk -t2 -c64 -d${secs}s /noop"
nginx_bench ng1 1 18081 75
nginx_bench ng1c 1 18083 0
serve co "duckfeed serve --model coroutine" --model coroutine
serve aio "duckfeed serve --model asyncio" --model asyncio
# uvicorn picks uvloop and httptools when they import, else asyncio, h11.
uvi="uvicorn --workers 1 ($("$py" -c 'import httptools' 2>/dev/null && echo httptools || echo h11), $("$py" -c 'import uvloop' 2>/dev/null && echo uvloop || echo asyncio))"
python_bench uv "$uvi" 18085 uvicorn \
    --workers 1 --host 127.0.0.1 --port 18085 --log-level warning \
    --no-access-log --lifespan off noop_app:asgi
nginx_bench ng2 2 18082 75
nginx_bench ng2c 2 18084 0
serve proc "duckfeed serve --model process --workers 2" --model process --workers 2
python_bench gu "gunicorn sync -w 2" 18086 gunicorn \
    -w 2 -b 127.0.0.1:18086 --log-level warning noop_app:app
serve thr "duckfeed serve --model thread --threads 4" --model thread --threads 4
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
ratio "coroutine / nginx worker_processes 1 (acceptance: >= 0.8)" co ng1
ratio "coroutine / uvicorn --workers 1" co uv
ratio "process -w2 / nginx worker_processes 2 (acceptance: >= 0.8)" proc ng2
ratio "process -w2 / nginx worker_processes 2 keepalive_timeout 0" proc ng2c
ratio "process -w2 / gunicorn sync -w 2" proc gu
