#!/usr/bin/env python3
"""calibrate.py - what each real server spends per request that duckfeed's
models do not simulate (#15), written as results/calibration.json
(duckfeed-calibration/1, docs/RESULTS-SCHEMA.md) for `duckfeed run
--calibration`.

For each server of real.py: start it, then drive GET /noop and then
GET /cpu?us=2000 one request at a time (c=1) with `duckfeed run --target`,
reading the CPU time (user + system, /proc/PID/stat) of every process of
the server's group before and after each. The charge, request_cost_us, is
the server's CPU per /noop request: parsing, dispatch and the framework,
all of which CPython runs holding the GIL. The rest is recorded beside it:
the c=1 round trip, the client's own CPU per request, and the /cpu slope
(extra server CPU per asked microsecond: 1 when the app's loop is
calibrated; not charged, see docs/FIDELITY.md).
Run as `real.py --calibrate FILE`.
"""
import json
import os
import subprocess
import tempfile

import real

SCHEMA = "duckfeed-calibration/1"
CPU_US = 2000  # the /cpu request the slope is measured with


def group_cpu_s(pgid):
    """User + system CPU seconds of the live processes in group pgid."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in real.group_members(pgid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it exited between the listing and the read
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def target_c1(duckfeed, url, duration_s):
    """One c=1 `duckfeed run --target url` point (its JSON)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cal.json")
        argv = [duckfeed, "run", "--target", url, "--concurrency", "1",
                "--duration", f"{duration_s:g}s", "--repeat", "1", "--quiet",
                "--out", out]
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=duration_s + 60)
        if r.returncode != 0:
            raise real.SuiteError(f"duckfeed run --target exited "
                                  f"{r.returncode}: {r.stderr.strip()}")
        with open(out) as f:
            p = json.load(f)["points"][0]
    if p.get("status") != "ok" or not p.get("throughput_rps"):
        raise real.SuiteError(f"{url}: the c=1 point failed")
    return p


def measure(proc, port, path, args):
    """The c=1 point on path and the server's CPU per response."""
    real.settle(port, 60)
    cpu0 = group_cpu_s(proc.pid)
    p = target_c1(args.duckfeed, f"http://127.0.0.1:{port}{path}",
                  args.duration)
    cpu1 = group_cpu_s(proc.pid)
    responses = p["http"]["responses"]
    return p, (cpu1 - cpu0) / max(responses, 1) * 1e6


def entry_of(server, noop, noop_cpu_us, cpu, cpu_cpu_us):
    """The file's entry for one server from its two c=1 points."""
    sim = server["sim"]
    model = sim[sim.index("--model") + 1] if "--model" in sim else "process"
    noop_us = 1e6 / noop["throughput_rps"]
    cpu_us = 1e6 / cpu["throughput_rps"]
    client_us = noop["http"]["client_cpu_ns_per_request"] / 1e3
    return {"name": server["name"], "model": model,
            "request_cost_us": round(noop_cpu_us, 2),
            # From CPU time, not wall time: on a busy machine the wall
            # time of a 2 ms loop stretches with the neighbours' load.
            "cpu_slope": round(max(cpu_cpu_us - noop_cpu_us, 1.0) / CPU_US,
                               4),
            "cpu_slope_wall": round(max(cpu_us - noop_us, 1.0) / CPU_US, 4),
            "noop_c1_rps": round(noop["throughput_rps"], 1),
            "noop_c1_us": round(noop_us, 2),
            "client_cpu_us_per_request": round(client_us, 2),
            "cpu_c1_rps": round(cpu["throughput_rps"], 1),
            "server_cpu_us_per_cpu_request": round(cpu_cpu_us, 2),
            "loadavg_1m": round(os.getloadavg()[0], 2)}


def calibrate_server(server, args, log):
    port = real.free_port()
    proc = real.start_server(server["command"], port, log)
    try:
        real.wait_ready(proc, port, args.ready_deadline)
        noop, noop_cpu_us = measure(proc, port, "/noop", args)
        cpu, cpu_cpu_us = measure(proc, port, f"/cpu?us={CPU_US}", args)
    finally:
        real.stop_server(proc)
    return entry_of(server, noop, noop_cpu_us, cpu, cpu_cpu_us)


def run(args, servers, path):
    """Calibrates every server and writes path; a server that fails stops
    the run (a partial file would charge some models and not others)."""
    doc = {"schema": SCHEMA, "duration_s": args.duration,
           "nproc": os.cpu_count(), "entries": []}
    with open(path + ".log", "w") as log:
        for server in servers:
            e = calibrate_server(server, args, log)
            print(f"calibrate: {e['name']}: {e['request_cost_us']:.1f} us "
                  f"server CPU per request, /cpu slope {e['cpu_slope']:.2f}",
                  file=real.sys.stderr)
            doc["entries"].append(e)
    real.write_json(path, doc)
    return doc
