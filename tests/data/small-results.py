#!/usr/bin/env python3
"""Writes small-results.json: a hand-made, plausible duckfeed.results/1 file
for tests/test_plot.c (cpu and sleep points for the three models, a failed
point, GIL stats, traces). Numbers are invented but internally consistent
(Little's law roughly holds), so the plots look like the real thing."""
import json, math, re

def lat(p50):
    keys = {"mean": p50 * 1.1, "p50": p50, "p90": p50 * 1.6, "p99": p50 * 3,
            "p999": p50 * 5, "max": p50 * 6}
    return {k: round(v, 1) for k, v in keys.items()}

def cdf(p50):
    rows = []
    for i in range(60):
        p = 100 * (1 - 10 ** (-i / 15)) if i < 59 else 100.0
        rows.append([round(p, 4), round(p50 * (0.5 + 2.5 * (p / 100) ** 6) +
                                        p50 * 3 * (p / 100) ** 40, 1)])
    return rows

def point(model, wl, params, conc, rps, p50, workers=1, threads=1, gil="new",
          service=None, **extra):
    service = service if service is not None else p50 * 0.7
    if isinstance(gil, dict):  # GIL figures: "gil_stats"; "gil" is the mode
        extra["gil_stats"], gil = gil, gil["mode"]
    pt = {"model": model, "workers": workers, "threads": threads, "gil": gil,
          "switch_interval_us": 5000, "hogs": 0, "workload": wl,
          "params": params, "concurrency": conc, "duration_s": 1.0,
          "status": "ok", "completed": int(rps), "errors": 0,
          "throughput_rps": rps, "latency_us": lat(p50),
          "queue_us": lat(max(p50 - service, 1)), "service_us": lat(service),
          "latency_cdf": cdf(p50), "cpu_user_s": 0.9, "cpu_sys_s": 0.05,
          "max_rss_bytes": int((2 + 0.004 * conc) * 2**20 * (workers if model == "process" else 1)),
          "inflight_mean": rps * p50 * 1.1 / 1e6}
    # As duckfeed run writes them: the spec as given, the model's GIL
    # figures under "gil_stats" (the identity "gil" is the mode).
    pt["workload_spec"] = wl + ":" + ",".join("%s=%s" % kv for kv in params.items())
    pt["mem_per_inflight_bytes"] = (
        (48 if model == "coroutine" else 96 if model == "thread" else 256) * 1024.0)
    pt.update(extra)
    return pt

def gilstats(held, wait):
    return {"mode": "new", "held": held, "wait": wait, "acquisitions": 1200,
            "switches": 600, "forced_switches": 300, "wait_mean_us": 2100.0,
            "wait_p99_us": 5100.0,
            "threads": [{"name": "worker-0", "held": held / 2, "wait": wait / 2},
                        {"name": "worker-1", "held": held / 2, "wait": wait / 2}]}

def trace(segs):
    # segs: (worker, request, [(state, t_us), ...])
    ev = []
    for w, r, steps in segs:
        for st, t in steps:
            ev.append({"worker": w, "request": r, "state": st, "t_us": t})
    ev.sort(key=lambda e: e["t_us"])
    return ev

pts = []
cpu = {"us": 2000}
for c in (1, 2, 4):
    pts.append(point("process", "cpu", cpu, c, 490 * min(c, 2), 2040 * max(1, c / 2), workers=2, service=2040))
    pts.append(point("thread", "cpu", cpu, c, 480, 2080 * c, threads=2, service=2080 * min(c, 2),
                     gil=gilstats(0.98, 0.4 if c > 1 else 0.0)))
pts.append(point("process", "cpu", cpu, 4, 495, 8000, workers=1, service=2020))
pts.append(point("coroutine", "cpu", cpu, 1, 485, 2060, service=2060, gil=gilstats(0.99, 0.0),
                 loop={"slow_callbacks": 480, "max_blocked_ms": 2.1}))
pts.append(point("coroutine", "cpu", cpu, 2, 486, 4100, service=2060, gil=gilstats(0.99, 0.0),
                 loop={"slow_callbacks": 970, "max_blocked_ms": 2.2}))
failed = {"model": "coroutine", "workers": 1, "threads": 1, "gil": "new",
          "switch_interval_us": 5000, "hogs": 0, "workload": "cpu",
          "params": cpu, "concurrency": 4, "duration_s": 1.0,
          "status": "failed", "failure": "signal 11 (SIGSEGV)"}
pts.append(failed)
slp = {"ms": 10}
for c in (1, 10, 100):
    pts.append(point("process", "sleep", slp, c, 98 * min(c, 2), 10150 * max(1, c / 2), workers=2, service=10150))
    pts.append(point("thread", "sleep", slp, c, 97 * min(c, 2) * (0.98 if c == 100 else 1),
                     10200 * max(1, c / 2), threads=2, service=10200, gil=gilstats(0.02, 0.001)))
    pts.append(point("coroutine", "sleep", slp, c, 99 * c * (0.95 if c == 100 else 1), 10100 * (1.05 if c == 100 else 1),
                     service=10050, gil=gilstats(0.03, 0.0), loop={"slow_callbacks": 0, "max_blocked_ms": 0.1}))

# Timeline points: 6 requests of sleep:ms=2 with 1 ms of CPU around it.
tl = {"ms": 2}  # upstream: kept apart from the sleep sweep
proc = trace([
    (0, 0, [("run", 0), ("io_wait", 300), ("run", 2300), ("done", 2600)]),
    (1, 1, [("run", 20), ("io_wait", 320), ("run", 2320), ("done", 2620)]),
    (0, 2, [("run", 2610), ("io_wait", 2910), ("run", 4910), ("done", 5210)]),
    (1, 3, [("run", 2630), ("io_wait", 2930), ("run", 4930), ("done", 5230)]),
    (0, 4, [("run", 5220), ("io_wait", 5520), ("run", 7520), ("done", 7820)]),
    (1, 5, [("run", 5240), ("io_wait", 5540), ("run", 7540), ("done", 7840)])])
# One GIL: "run" never overlaps between the two threads.
thr = trace([
    (0, 0, [("run", 0), ("io_wait", 300), ("run", 2300), ("done", 2600)]),
    (1, 1, [("gil_wait", 0), ("run", 300), ("io_wait", 600), ("gil_wait", 2600), ("run", 2600), ("done", 2900)]),
    (0, 2, [("gil_wait", 2600), ("run", 2900), ("io_wait", 3200), ("run", 5200), ("done", 5500)]),
    (1, 3, [("gil_wait", 2900), ("run", 3200), ("io_wait", 3500), ("gil_wait", 5500), ("run", 5500), ("done", 5800)]),
    (0, 4, [("gil_wait", 5500), ("run", 5800), ("io_wait", 6100), ("run", 8100), ("done", 8400)]),
    (1, 5, [("gil_wait", 5800), ("run", 6100), ("io_wait", 6400), ("run", 8400), ("done", 8700)])])
cor = trace([
    (0, 0, [("run", 0), ("io_wait", 300), ("run", 2300), ("done", 2600)]),
    (0, 1, [("run", 300), ("io_wait", 600), ("run", 2600), ("done", 2900)]),
    (0, 2, [("run", 600), ("io_wait", 900), ("run", 2900), ("done", 3200)]),
    (0, 3, [("run", 900), ("io_wait", 1200), ("run", 3200), ("done", 3500)]),
    (0, 4, [("run", 1200), ("io_wait", 1500), ("run", 3500), ("done", 3800)]),
    (0, 5, [("run", 1500), ("io_wait", 1800), ("run", 3800), ("done", 4100)])])
pts.append(point("process", "upstream", tl, 6, 770, 2600, workers=2, trace=proc))
pts.append(point("thread", "upstream", tl, 6, 660, 2900, threads=2, trace=thr, gil=gilstats(0.3, 0.1)))
pts.append(point("coroutine", "upstream", tl, 6, 1460, 2900, trace=cor))

doc = {"schema": "duckfeed.results/1", "complete": True,
       "started": "2026-11-24T20:00:00Z",
       "machine": {"cpu_model": "Test CPU @ 2.0GHz", "cores": 2,
                   "kernel": "Linux 6.1.0", "compiler": "gcc 12.2.0",
                   "build_type": "RelWithDebInfo", "hostname": "testhost"},
       "command": "duckfeed run --model process,thread,coroutine --workload cpu:us=2000 --workload sleep:ms=10",
       "points": pts}
text = json.dumps(doc, indent=1)
# One line per CDF row keeps the checked-in file readable.
text = re.sub(r'\[\n\s+([-0-9.e]+),\n\s+([-0-9.e]+)\n\s+\]', r'[\1, \2]', text)
with open(__file__.replace(".py", ".json"), "w") as f:
    f.write(text + "\n")
