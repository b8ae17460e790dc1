#!/usr/bin/env python3
"""real.py - the real suite (#15): gunicorn, gevent and uvicorn beside the
duckfeed models that stand for them, cell by cell, on one machine.

For each server: start it on loopback in its own session, wait until it
answers GET /noop (with a deadline), drive each path at each concurrency
with wrk (a Lua done() callback prints the summary as JSON), stop it
(SIGTERM to its process group, SIGKILL after a grace period, then SIGKILL
to whatever of the group is left, so no worker outlives the suite). Then
the matching duckfeed model runs the matching workload at the same
concurrencies, and each cell gets its simulated/real ratios.

Output: results/real.json (docs/RESULTS-SCHEMA.md), results/REAL.md (the
ratio table) and plots/real-<path>.png (real against simulated).
Run by `./run.sh real`; the pieces are tested by tests/test_real_suite.py
against a fake server.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PYTHON = os.environ.get("DF_PYTHON", "/usr/bin/python3")  # Debian's
WRK_LUA = os.path.join(HERE, "wrk_json.lua")
PLOT_GP = os.path.join(ROOT, "plots", "real.gp")
SCHEMA = "duckfeed-real/1"
BOUNDS = {"throughput": (0.85, 1.15), "p50": (0.67, 1.5), "p99": (0.67, 1.5)}


class SuiteError(Exception):
    """A failure to report in one line (a server that never got ready)."""


def gunicorn(*args):
    return [PYTHON, "-m", "gunicorn", "--chdir", HERE, "-b",
            "127.0.0.1:{port}", "--log-level", "warning", *args,
            "wsgi_app:app"]


def uvicorn(*args):
    return [PYTHON, "-m", "uvicorn", "--app-dir", HERE, "--host",
            "127.0.0.1", "--port", "{port}", "--log-level", "warning",
            "--no-access-log", *args, "asgi_app:app"]


# Each real server and the duckfeed model run that stands for it. Both
# uvicorn loops map to one simulation: the asyncio model does not tell
# uvloop from asyncio (docs/FIDELITY.md).
SERVERS = [
    {"name": "sync-w2", "command": gunicorn("-k", "sync", "-w", "2"),
     "sim": ["--model", "process", "--workers", "2"]},
    {"name": "gthread-w1t8",
     "command": gunicorn("-k", "gthread", "-w", "1", "--threads", "8"),
     "sim": ["--model", "thread", "--processes", "1", "--threads", "8"]},
    {"name": "gthread-w2t4",
     "command": gunicorn("-k", "gthread", "-w", "2", "--threads", "4"),
     "sim": ["--model", "thread", "--processes", "2", "--threads", "4"]},
    {"name": "gevent-w1",
     "command": gunicorn("-k", "gevent", "-w", "1",
                         "--worker-connections", "1000"),
     "sim": ["--model", "coroutine", "--processes", "1"]},
    {"name": "uvicorn-uvloop-w1",
     "command": uvicorn("--workers", "1", "--loop", "uvloop"),
     "sim": ["--model", "asyncio", "--processes", "1"]},
    {"name": "uvicorn-asyncio-w1",
     "command": uvicorn("--workers", "1", "--loop", "asyncio"),
     "sim": ["--model", "asyncio", "--processes", "1"]},
    {"name": "uvicorn-w2", "command": uvicorn("--workers", "2"),
     "sim": ["--model", "asyncio", "--processes", "2"]},
]

# name, URL path, duckfeed workload. /blocking is `syncsleep`: a plain
# time.sleep, which yields under gevent and blocks an asyncio loop.
PATHS = [("noop", "/noop", "noop"), ("cpu", "/cpu?us=2000", "cpu:us=2000"),
         ("io", "/io?ms=20", "sleep:ms=20"),
         ("blocking", "/blocking?ms=20", "syncsleep:ms=20")]


def free_port():
    """A loopback port free right now (the server binds it next)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(command, port, log):
    """Starts command ({port} substituted) as the leader of a new session,
    so stop_server can signal it and every worker it forks at once."""
    argv = [a.replace("{port}", str(port)) for a in command]
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def probe(port, path, timeout_s):
    """The HTTP status of one GET on a fresh connection, or None."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout_s) as s:
            s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
            line = s.makefile("rb").readline().split()
            return int(line[1]) if len(line) > 1 else None
    except (OSError, ValueError):
        return None


def wait_ready(proc, port, deadline_s, path="/noop"):
    """Seconds until the server answered 200 on path; SuiteError if it
    exited first or the deadline passed."""
    t0 = time.monotonic()
    while True:
        rc = proc.poll()
        if rc is not None:
            raise SuiteError(f"server exited ({rc}) before answering")
        if probe(port, path, 1.0) == 200:
            return time.monotonic() - t0
        if time.monotonic() - t0 > deadline_s:
            raise SuiteError(f"server not ready after {deadline_s:g} s")
        time.sleep(0.05)


def stop_server(proc, grace_s=5.0):
    """SIGTERM to the server's process group, SIGKILL after grace_s, then
    SIGKILL to any member left (a worker that ignored its arbiter).
    Returns how it ended: "term" or "kill"."""
    how = "term"
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        how = "kill"
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    # SIGKILL is delivered before killpg returns, but a process only leaves
    # the group when it has died: wait for that (at most 5 s).
    deadline = time.monotonic() + 5
    while group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return how


def group_members(pgid):
    """Pids of the live (not zombie) processes in group pgid, from /proc.
    A killed worker stays a zombie until init reaps it, and killpg(pgid, 0)
    still finds zombies, so it cannot tell a stopped server from a live
    one."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                # The command (field 2) may hold spaces: split after it.
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(name))
    return pids


def parse_wrk(text):
    """The DF-WRK-JSON line wrk_json.lua printed, with throughput added."""
    for line in text.splitlines():
        if line.startswith("DF-WRK-JSON "):
            d = json.loads(line[len("DF-WRK-JSON "):])
            d["throughput_rps"] = d["requests"] / max(d["duration_us"], 1) * 1e6
            d["errors_total"] = sum(d["errors"].values())
            return d
    raise SuiteError("wrk printed no DF-WRK-JSON line: " + text[-200:])


def run_wrk(url, connections, duration_s, wrk="wrk", timeout_s=10):
    """One wrk run of duration_s (whole seconds: wrk takes no fraction);
    its summary (parse_wrk) and the load average before."""
    threads = min(2, connections)
    argv = [wrk, "-t", str(threads), "-c", str(connections), "-d",
            f"{int(duration_s)}s", "--timeout", f"{timeout_s}s", "-s", WRK_LUA,
            url]
    load = os.getloadavg()[0]
    r = subprocess.run(argv, capture_output=True, text=True,
                       timeout=duration_s + timeout_s + 30)
    if r.returncode != 0:
        raise SuiteError(f"wrk exited {r.returncode}: {r.stderr.strip()}")
    d = parse_wrk(r.stdout)
    d["client"] = "wrk"
    d["loadavg_1m"] = load
    return d


def sim_via_run(duckfeed, sim_argv, workload, concurrencies, duration_s):
    """The simulated cells of one server and path through `duckfeed run`:
    {concurrency: {throughput_rps, latency_us, ...}}."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "sim.json")
        argv = [duckfeed, "run", *sim_argv, "--workload", workload,
                "--concurrency", ",".join(map(str, concurrencies)),
                "--duration", f"{duration_s:g}s", "--repeat", "1", "--quiet",
                "--out", out]
        load = os.getloadavg()[0]
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=len(concurrencies) * (duration_s + 30))
        if r.returncode != 0:
            raise SuiteError(f"duckfeed run exited {r.returncode}: "
                             f"{r.stderr.strip()}")
        with open(out) as f:
            points = json.load(f)["points"]
    cells = {}
    for p in points:
        cells[p["concurrency"]] = {
            "driver": "run", "argv": argv[1:-2] + ["--concurrency",
                                                   str(p["concurrency"])],
            "status": p["status"], "throughput_rps": p["throughput_rps"],
            "latency_us": {k: p["latency_us"][k]
                           for k in ("mean", "p50", "p90", "p99", "max")},
            "errors_total": p["errors"], "loadavg_1m": load}
    return cells


def serve_url(workload):
    """The URL path `duckfeed serve` answers for a workload spec:
    sleep:ms=20 -> /sleep?ms=20."""
    name, _, params = workload.partition(":")
    return f"/{name}" + (f"?{params.replace(',', '&')}" if params else "")


def serve_argv(sim_argv):
    """`duckfeed run` arguments as `duckfeed serve` takes them: serve's
    --workers counts the processes of every model."""
    return ["--workers" if a == "--processes" else a for a in sim_argv]


def sim_via_serve(duckfeed, sim_argv, workload, concurrencies, duration_s):
    """The simulated cells through `duckfeed serve` (#14), started, awaited
    and stopped like a real server and driven by the same wrk, so both
    sides pay for HTTP and loopback TCP."""
    port = free_port()
    argv = [duckfeed, "serve", *serve_argv(sim_argv), "--port", "{port}"]
    with open(os.devnull, "w") as log:
        proc = start_server(argv, port, log)
        cells = {}
        try:
            wait_ready(proc, port, 30)
            for c in concurrencies:
                d = run_wrk(f"http://127.0.0.1:{port}{serve_url(workload)}",
                            c, duration_s)
                d["settle_s"] = settle(port, 60)
                d.update(driver="serve", status="ok", argv=[
                    a.replace("{port}", str(port)) for a in argv[1:]])
                cells[c] = d
        finally:
            stop_server(proc)
    return cells


# How the simulated side is measured (--sim-driver): "run", duckfeed's
# own in-process clients, or "serve", duckfeed serve behind the same wrk
# as the real servers.
SIM_DRIVERS = {"run": sim_via_run, "serve": sim_via_serve}


def ratios(sim, real):
    """simulated/real for throughput, p50 and p99, and whether each is
    inside BOUNDS (None when either side has nothing to divide)."""
    pairs = {"throughput": (sim["throughput_rps"], real["throughput_rps"]),
             "p50": (sim["latency_us"]["p50"], real["latency_us"]["p50"]),
             "p99": (sim["latency_us"]["p99"], real["latency_us"]["p99"])}
    out, inside = {}, {}
    for k, (s, r) in pairs.items():
        out[k] = s / r if r and s is not None else None
        lo, hi = BOUNDS[k]
        inside[k] = out[k] is not None and lo <= out[k] <= hi
    return out, inside


def fmt_ratio(v, inside):
    if v is None:
        return "-"
    return f"{v:.2f}" if inside else f"**{v:.2f}**"


def table_md(cells):
    """The ratio table (Markdown), one row per cell, out-of-bounds ratios
    in bold, and a count of cells inside the bounds per metric."""
    rows = ["| server | path | c | real rps | sim rps | rps s/r | real p50 ms"
            " | sim p50 ms | p50 s/r | real p99 ms | sim p99 ms | p99 s/r |"
            " load |", "|" + "---|" * 13]
    count = {k: 0 for k in BOUNDS}
    count["all"] = 0
    for c in cells:
        re, si, ra, ins = c["real"], c["simulated"], c["ratio"], c["inside"]
        rows.append(
            f"| {c['server']} | {c['path']} | {c['concurrency']} | "
            f"{re['throughput_rps']:.0f} | {si['throughput_rps']:.0f} | "
            f"{fmt_ratio(ra['throughput'], ins['throughput'])} | "
            f"{re['latency_us']['p50'] / 1000:.2f} | "
            f"{si['latency_us']['p50'] / 1000:.2f} | "
            f"{fmt_ratio(ra['p50'], ins['p50'])} | "
            f"{re['latency_us']['p99'] / 1000:.2f} | "
            f"{si['latency_us']['p99'] / 1000:.2f} | "
            f"{fmt_ratio(ra['p99'], ins['p99'])} | "
            f"{re['loadavg_1m']:.1f} |")
        for k in BOUNDS:
            count[k] += ins[k]
        count["all"] += all(ins.values())
    n = len(cells)
    rows.append("")
    rows.append(f"Inside the bounds ({n} cells): throughput {count['throughput']}"
                f", p50 {count['p50']}, p99 {count['p99']}, all three "
                f"{count['all']}. Bounds: throughput 0.85-1.15, p50 and p99 "
                "0.67-1.5; bold is outside.")
    rows += ["", "| path | cells | throughput inside | p50 inside | "
             "p99 inside | all three |", "|---|---|---|---|---|---|"]
    for name in dict.fromkeys(c["path_name"] for c in cells):
        mine = [c["inside"] for c in cells if c["path_name"] == name]
        rows.append(f"| {name} | {len(mine)} | "
                    + " | ".join(str(sum(i[k] for i in mine)) for k in BOUNDS)
                    + f" | {sum(all(i.values()) for i in mine)} |")
    return "\n".join(rows) + "\n", count


def calibration_table_md(cells):
    """#15: each cell's ratios without and with --calibration, and how
    many cells each gets inside the bounds; "" when not calibrated."""
    cal = [c for c in cells if "uncalibrated" in c]
    if not cal:
        return ""
    rows = ["| server | path | c | rps s/r | rps s/r cal | p50 s/r | "
            "p50 s/r cal | p99 s/r | p99 s/r cal |", "|" + "---|" * 9]
    count = {side: {k: 0 for k in BOUNDS} for side in ("plain", "cal")}
    for c in cal:
        u = c["uncalibrated"]
        row = f"| {c['server']} | {c['path']} | {c['concurrency']} |"
        for k in BOUNDS:
            row += (f" {fmt_ratio(u['ratio'][k], u['inside'][k])} |"
                    f" {fmt_ratio(c['ratio'][k], c['inside'][k])} |")
            count["plain"][k] += u["inside"][k]
            count["cal"][k] += c["inside"][k]
        rows.append(row)
    rows.append("")
    rows.append(f"Inside the bounds ({len(cal)} cells), uncalibrated -> "
                "calibrated: " + ", ".join(
                    f"{k} {count['plain'][k]} -> {count['cal'][k]}"
                    for k in BOUNDS) + ".")
    return "\n".join(rows) + "\n"


def write_dat(cells, path_name, dat):
    """One block per server and side for plots/real.gp: a title line, then
    concurrency, throughput_rps, p50_ms, p99_ms. Returns the block count."""
    servers = []
    for c in cells:
        if c["path_name"] == path_name and c["server"] not in servers:
            servers.append(c["server"])
    with open(dat, "w") as f:
        for s in servers:
            for side in ("real", "simulated"):
                f.write(f"{s}-{'sim' if side == 'simulated' else 'real'}\n")
                for c in cells:
                    if c["server"] == s and c["path_name"] == path_name:
                        v = c[side]
                        f.write(f"{c['concurrency']} {v['throughput_rps']:.3f}"
                                f" {v['latency_us']['p50'] / 1000:.4f}"
                                f" {v['latency_us']['p99'] / 1000:.4f}\n")
                f.write("\n\n")
    return 2 * len(servers)


def plot(cells, plots_dir, footer):
    """plots/real-<path>.png for each path in cells; returns their paths."""
    made = []
    for name in dict.fromkeys(c["path_name"] for c in cells):
        stem = os.path.join(plots_dir, f"real-{name}")
        n = write_dat(cells, name, stem + ".dat")
        url = next(c["path"] for c in cells if c["path_name"] == name)
        r = subprocess.run(["gnuplot", "-e", f"nb={n}", "-c", PLOT_GP,
                            stem, f"{url}: real (solid) against simulated "
                            "(dashed)", footer],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0 or not os.path.exists(stem + ".png"):
            raise SuiteError(f"gnuplot failed on {stem}: {r.stderr.strip()}")
        made.append(stem + ".png")
    return made


def write_json(path, doc):
    """Writes doc through a temporary file and a rename: a reader never
    sees half a file, and an interrupted run keeps the last whole one."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def settle(port, deadline_s):
    """Seconds until a GET /noop is answered again after a cell. A server
    still owes answers to the connections wrk closed at its end (a sync
    worker's accept queue holds up to 256 of them, 20 ms each on /io);
    the next cell must not start behind them. The probe queues behind
    them too, so its answer says they are done."""
    t0 = time.monotonic()
    while probe(port, "/noop", deadline_s) != 200:
        if time.monotonic() - t0 > deadline_s:
            raise SuiteError(f"server did not settle in {deadline_s:g} s")
        time.sleep(0.1)
    return time.monotonic() - t0


def measure_server(server, paths, conc, args, log):
    """Every real cell of one server: {(path name, c): wrk summary}."""
    port = free_port()
    proc = start_server(server["command"], port, log)
    real = {}
    try:
        ready_s = wait_ready(proc, port, args.ready_deadline)
        for name, url, _ in paths:
            for c in conc:
                real[(name, c)] = run_wrk(f"http://127.0.0.1:{port}{url}", c,
                                          args.duration, args.wrk)
                real[(name, c)]["settle_s"] = settle(port, 60)
                print(f"real.py: {server['name']} {url} c={c}: "
                      f"{real[(name, c)]['throughput_rps']:.0f} rps",
                      file=sys.stderr)
    finally:
        stopped = stop_server(proc)
    return real, ready_s, stopped


def server_cells(server, paths, conc, args, sim_cache, log):
    """One server's entry for servers[] and its cells; a SuiteError (it
    never got ready, wrk or duckfeed failed) escapes to the caller."""
    real, ready_s, stopped = measure_server(server, paths, conc, args, log)
    entry = {"name": server["name"], "command": server["command"],
             "sim": server["sim"], "ready_s": ready_s, "stopped_by": stopped}
    cells = []
    sims = {"plain": server["sim"]}
    if args.calibration:  # #15: the server's own entry, by name
        sims["cal"] = server["sim"] + [
            "--calibration", f"{args.calibration}#{server['name']}"]
    for name, url, workload in paths:
        got = {}
        for side, argv in sims.items():
            key = (tuple(argv), workload)
            if key not in sim_cache:
                sim_cache[key] = SIM_DRIVERS[args.sim_driver](
                    args.duckfeed, argv, workload, conc, args.duration)
            got[side] = sim_cache[key]
        for c in conc:
            sim = got.get("cal", got["plain"])[c]
            ra, ins = ratios(sim, real[(name, c)])
            cell = {"server": server["name"], "path": url,
                    "path_name": name, "workload": workload,
                    "concurrency": c, "real": real[(name, c)],
                    "simulated": sim, "ratio": ra, "inside": ins}
            if "cal" in got:
                pra, pins = ratios(got["plain"][c], real[(name, c)])
                cell["uncalibrated"] = {"simulated": got["plain"][c],
                                        "ratio": pra, "inside": pins}
            cells.append(cell)
    return entry, cells


def run_suite(args, servers, paths, conc):
    """Measures every server; one that fails is recorded with its error
    (servers[].error) and the others still run."""
    doc = {"schema": SCHEMA, "complete": False,
           "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "machine": {"nproc": os.cpu_count(), "uname": " ".join(os.uname())},
           "duration_s": args.duration, "sim_driver": args.sim_driver,
           "calibration": args.calibration,
           "bounds": BOUNDS, "servers": [], "cells": []}
    sim_cache = {}
    with open(args.out + ".log", "w") as log:
        for server in servers:
            try:
                entry, cells = server_cells(server, paths, conc, args,
                                            sim_cache, log)
            except (SuiteError, subprocess.TimeoutExpired) as e:
                entry = {"name": server["name"], "command": server["command"],
                         "sim": server["sim"], "error": str(e)}
                cells = []
                print(f"real.py: {server['name']}: {e}", file=sys.stderr)
            doc["servers"].append(entry)
            doc["cells"] += cells
            write_json(args.out, doc)
    doc["complete"] = True
    write_json(args.out, doc)
    return doc


def render(doc, args):
    table, count = table_md(doc["cells"])
    cal = calibration_table_md(doc["cells"])
    if cal:
        cal = (f"\n## Without and with calibration ({doc['calibration']})"
               "\n\nThe table above is calibrated; here each cell's ratios "
               "without (left) and with (right) the charge.\n\n" + cal)
    footer = (f"{doc['started']}, {doc['machine']['nproc']} CPUs, "
              f"{doc['duration_s']:g} s per cell")
    made = plot(doc["cells"], args.plots_dir, footer)
    with open(args.report, "w") as f:
        f.write("# Real servers against the models (#15)\n\n"
                f"Run {doc['started']} on {doc['machine']['nproc']} CPUs; "
                "`load` is the 1-minute load average before the real cell "
                "(a shared machine).\n\n" + table + cal + "\nPlots: "
                + ", ".join(os.path.relpath(m, os.path.dirname(args.report))
                            for m in made) + "\n")
    return count


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="real.py", description="Real servers (gunicorn, gevent, "
        "uvicorn) against duckfeed's models, cell by cell.")
    p.add_argument("--duration", type=int, default=3,
                   help="whole seconds per cell, as wrk takes (default 3)")
    p.add_argument("--concurrency", default="1,8,64,256",
                   help="comma-separated (default 1,8,64,256)")
    p.add_argument("--quick", action="store_true",
                   help="concurrency 1,64 and 1 s per cell")
    p.add_argument("--servers", help="comma-separated names (default all)")
    p.add_argument("--paths", help="comma-separated: noop,cpu,io,blocking")
    p.add_argument("--servers-file", help="JSON list of {name, command, "
                   "sim} instead of the built-in servers ({port} in command)")
    p.add_argument("--sim-driver", default="run", choices=sorted(SIM_DRIVERS))
    p.add_argument("--duckfeed", default=os.path.join(ROOT, "build",
                                                      "duckfeed"))
    p.add_argument("--wrk", default="wrk")
    p.add_argument("--ready-deadline", type=float, default=30.0)
    p.add_argument("--out", default=os.path.join(ROOT, "results", "real.json"))
    p.add_argument("--report", default=os.path.join(ROOT, "results",
                                                    "REAL.md"))
    p.add_argument("--plots-dir", default=os.path.join(ROOT, "plots"))
    p.add_argument("--calibration", metavar="FILE",
                   help="also simulate with `duckfeed run --calibration "
                   "FILE#SERVER` (each server's own entry): the table's "
                   "ratios are then calibrated, beside the uncalibrated")
    p.add_argument("--calibrate", metavar="FILE",
                   help="measure each server's per-request cost instead "
                   "(calibrate.py) and write FILE, run nothing else")
    p.add_argument("--render-only", action="store_true",
                   help="rewrite the table and plots from --out, run nothing")
    return p.parse_args(argv)


def pick(items, names, what):
    if not names:
        return items
    by = {i["name"] if isinstance(i, dict) else i[0]: i for i in items}
    for n in names.split(","):
        if n not in by:
            raise SuiteError(f"--{what}: no {n!r} (have {', '.join(by)})")
    return [by[n] for n in names.split(",")]


def on_signal(signo, frame):
    # SIGTERM or SIGHUP unwinds like ^C, so the finally in measure_server
    # stops the server it started: no gunicorn outlives the suite.
    raise KeyboardInterrupt(f"signal {signo}")


def main(argv):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    if args.quick:
        args.concurrency, args.duration = "1,64", 1
    try:
        if args.render_only:
            with open(args.out) as f:
                doc = json.load(f)
        else:
            conc = [int(c) for c in args.concurrency.split(",")]
            if not conc or min(conc) < 1 or args.duration <= 0:
                raise SuiteError("--concurrency and --duration: positive")
            servers = SERVERS
            if args.servers_file:
                with open(args.servers_file) as f:
                    servers = json.load(f)
            servers = pick(servers, args.servers, "servers")
            paths = pick(PATHS, args.paths, "paths")
            if args.calibrate:
                import calibrate
                calibrate.run(args, servers, args.calibrate)
                return 0
            doc = run_suite(args, servers, paths, conc)
        count = render(doc, args)
    except (SuiteError, ValueError, OSError) as e:
        print(f"real.py: {e}", file=sys.stderr)
        return 2
    print(f"real.py: {len(doc['cells'])} cells, inside the bounds: "
          f"throughput {count['throughput']}, p50 {count['p50']}, "
          f"p99 {count['p99']}, all {count['all']}; {args.report}",
          file=sys.stderr)
    failed = [s["name"] for s in doc["servers"] if "error" in s]
    if failed:
        print(f"real.py: not measured: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
