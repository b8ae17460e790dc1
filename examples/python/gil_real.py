#!/usr/bin/env python3
"""gil_real.py - CPython's GIL beside duckfeed's simulated one (#15 item 4).

Three figures, each measured with Debian's python3 (each configuration in
a fresh interpreter) and with the duckfeed thread model:
  cpu     N CPU-bound threads (1, 2, 4) against the same work done
          sequentially: throughput threaded / sequential (about 1 under a
          GIL; the simulated side is cpu:us=2000 on N threads against 1).
  echo    one thread doing 64-byte round trips over loopback TCP to an echo
          process, beside 0/1/2/4 CPU-bound threads, at switch intervals of
          5 ms and 1 ms: round trips/s, p50, p90, p99 (the convoy suite's
          `echo` workload with --hogs).
  ccbench the latency of a thread answering UDP pings (sent every 50 ms by
          another process) beside N CPU-bound threads, as CPython's old
          Tools/ccbench measured it (the simulated side: `noop` at an open
          20/s with --hogs).
Writes results/gil-real.json and results/GIL-REAL.md (ratios simulated /
real against the bounds real.py uses). `--one ...` is the child mode.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time

import duckapp
import real

HERE = os.path.dirname(os.path.abspath(__file__))
HOGS = (0, 1, 2, 4)
THREADS = (1, 2, 4)
INTERVALS_MS = (5, 1)
PING_INTERVAL_S = 0.05
CPU_WORK_MS = 300  # per thread per run


def start_hogs(n):
    """n CPU-bound threads spinning pure Python until the event is set."""
    stop = threading.Event()

    def hog():
        while not stop.is_set():
            duckapp.spin(10000)

    threads = [threading.Thread(target=hog, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    return stop, threads


def percentiles_us(samples_s):
    s = sorted(samples_s)
    if not s:
        return {"mean": None, "p50": None, "p90": None, "p99": None}

    def at(q):
        return s[min(len(s) - 1, int(q * len(s)))] * 1e6

    return {"mean": sum(s) / len(s) * 1e6, "p50": at(0.50), "p90": at(0.90),
            "p99": at(0.99)}


def one_cpu(n):
    """Sequential and threaded wall time of n * CPU_WORK_MS of spin()."""
    iters = int(CPU_WORK_MS * 1000 * duckapp.ITERS_PER_US)
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            duckapp.spin(iters)
        seq = time.perf_counter() - t0
        ts = [threading.Thread(target=duckapp.spin, args=(iters,))
              for _ in range(n)]
        t0 = time.perf_counter()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        thr = time.perf_counter() - t0
        # The run with the best sequential time: the least disturbed one.
        if best is None or seq < best[0]:
            best = (seq, thr)
    return {"threads": n, "sequential_s": best[0], "threaded_s": best[1],
            "speedup": best[0] / best[1]}


def echo_server():
    """The echo peer: its own process, so its own interpreter and GIL."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    print(ls.getsockname()[1], flush=True)
    conn, _ = ls.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        data = conn.recv(64)
        if not data:
            return
        conn.sendall(data)


def one_echo(hogs, interval_ms, duration_s):
    sys.setswitchinterval(interval_ms / 1000)
    peer = subprocess.Popen([sys.executable, __file__, "--one", "echo-server"],
                            stdout=subprocess.PIPE, text=True)
    try:
        port = int(peer.stdout.readline())
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        stop, threads = start_hogs(hogs)
        msg, rtts = b"x" * 64, []
        end = time.perf_counter() + duration_s
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                break
            s.sendall(msg)
            got = 0
            while got < 64:
                got += len(s.recv(64 - got))
            rtts.append(time.perf_counter() - t0)
        stop.set()
        for t in threads:
            t.join()
        s.close()
    finally:
        peer.wait(10)
    return {"hogs": hogs, "switch_interval_ms": interval_ms,
            "throughput_rps": len(rtts) / duration_s,
            "latency_us": percentiles_us(rtts)}


def ping_client(port, duration_s):
    """ccbench's latency client: a ping every PING_INTERVAL_S carrying its
    send time; prints the round-trip latencies as JSON."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    lat = []
    end = time.perf_counter() + duration_s
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        s.sendto(b"ping", ("127.0.0.1", port))
        s.recvfrom(16)
        lat.append(time.perf_counter() - t0)
        time.sleep(max(0.0, PING_INTERVAL_S - (time.perf_counter() - t0)))
    s.sendto(b"stop", ("127.0.0.1", port))
    print(json.dumps(lat))


def one_ccbench(hogs, duration_s):
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))

    def answer():
        while True:
            data, addr = srv.recvfrom(16)
            if data == b"stop":
                return
            srv.sendto(data, addr)

    t = threading.Thread(target=answer, daemon=True)
    t.start()
    stop, threads = start_hogs(hogs)
    r = subprocess.run([sys.executable, __file__, "--one", "ping-client",
                        str(srv.getsockname()[1]), str(duration_s)],
                       capture_output=True, text=True, timeout=duration_s + 60)
    stop.set()
    for h in threads:
        h.join()
    t.join(10)
    lat = json.loads(r.stdout)
    return {"hogs": hogs, "pings": len(lat), "latency_us": percentiles_us(lat)}


def child(python, *args, timeout_s=120):
    """One configuration measured in a fresh interpreter (no state, such as
    a switch interval or a leftover thread, carries over)."""
    load = os.getloadavg()[0]
    r = subprocess.run([python, __file__, "--one", *map(str, args)],
                       capture_output=True, text=True, timeout=timeout_s)
    if r.returncode != 0:
        raise real.SuiteError(f"{' '.join(map(str, args))}: {r.stderr[-300:]}")
    d = json.loads(r.stdout)
    d["loadavg_1m"] = load
    return d


def sim_points(duckfeed, argv):
    """The points of one `duckfeed run` (its own temporary results file)."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "sim.json")
        r = subprocess.run([duckfeed, "run", *argv, "--repeat", "1",
                            "--quiet", "--out", out], capture_output=True,
                           text=True, timeout=600)
        if r.returncode != 0:
            raise real.SuiteError(f"duckfeed run: {r.stderr.strip()}")
        with open(out) as f:
            return json.load(f)["points"]


def figure(name, config, metric, sim, real_value, bounds):
    ratio = sim / real_value if sim is not None and real_value else None
    lo, hi = bounds
    return {"figure": name, "config": config, "metric": metric,
            "simulated": sim, "real": real_value, "ratio": ratio,
            "inside": ratio is not None and lo <= ratio <= hi}


def measure_cpu(args, rows, raw):
    th = ",".join(map(str, THREADS))
    pts = sim_points(args.duckfeed, [
        "--model", "thread", "--processes", "1", "--threads", th,
        "--concurrency", th, "--workload", "cpu:us=2000", "--duration",
        f"{args.duration}s"])
    rps = {p["threads"]: p["throughput_rps"] for p in pts
           if p["threads"] == p["concurrency"]}
    for n in THREADS:
        got = child(args.python, "cpu", n)
        raw.append({"figure": "cpu", **got})
        rows.append(figure("cpu", f"{n} threads", "threaded/sequential",
                           rps[n] / rps[1], got["speedup"],
                           real.BOUNDS["throughput"]))


def measure_echo(args, rows, raw):
    pts = sim_points(args.duckfeed, [
        "--model", "thread", "--processes", "1", "--threads", "1",
        "--workload", "echo", "--concurrency", "1", "--hogs",
        ",".join(map(str, HOGS)), "--switch-interval",
        ",".join(f"{i}ms" for i in INTERVALS_MS), "--duration",
        f"{args.duration}s"])
    sim = {(p["hogs"], p["switch_interval_us"] // 1000): p for p in pts}
    for iv in INTERVALS_MS:
        for h in HOGS:
            got = child(args.python, "echo", h, iv, args.duration)
            raw.append({"figure": "echo", **got})
            s, cfg = sim[(h, iv)], f"{h} hogs, {iv} ms"
            rows.append(figure("echo", cfg, "round trips/s",
                               s["throughput_rps"], got["throughput_rps"],
                               real.BOUNDS["throughput"]))
            for q in ("p50", "p90", "p99"):
                rows.append(figure("echo", cfg, q, s["latency_us"][q],
                                   got["latency_us"][q], real.BOUNDS["p50"]))


def measure_ccbench(args, rows, raw):
    pts = sim_points(args.duckfeed, [
        "--model", "thread", "--processes", "1", "--threads", "1",
        "--workload", "noop", "--rate", str(round(1 / PING_INTERVAL_S)),
        "--hogs", ",".join(map(str, HOGS)), "--duration",
        f"{max(args.duration, 3)}s"])
    sim = {p["hogs"]: p for p in pts}
    for h in HOGS:
        got = child(args.python, "ccbench", h, max(args.duration, 3))
        raw.append({"figure": "ccbench", **got})
        for q in ("mean", "p50", "p99"):
            rows.append(figure("ccbench", f"{h} CPU threads", q,
                               sim[h]["latency_us"][q], got["latency_us"][q],
                               real.BOUNDS["p50"]))


def num(v):
    return "-" if v is None else f"{v:.3g}"


def table_md(rows):
    out = ["| figure | configuration | metric | real | simulated | sim/real |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        unit = "" if r["metric"] in ("threaded/sequential",
                                     "round trips/s") else " us"
        out.append(f"| {r['figure']} | {r['config']} | {r['metric']}{unit} | "
                   f"{num(r['real'])} | {num(r['simulated'])} | "
                   f"{real.fmt_ratio(r['ratio'], r['inside'])} |")
    n_in = sum(r["inside"] for r in rows)
    out.append("")
    out.append(f"Inside the bounds: {n_in} of {len(rows)} figures (rates "
               "0.85-1.15, latencies 0.67-1.5; bold is outside).")
    return "\n".join(out) + "\n", n_in


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="gil_real.py", description="CPython's GIL (Debian python3) "
        "beside duckfeed's simulated GIL: CPU threads, the echo convoy, "
        "ccbench latency.")
    p.add_argument("--duration", type=int, default=2,
                   help="whole seconds per configuration (default 2)")
    p.add_argument("--quick", action="store_true", help="1 s each")
    p.add_argument("--figures", default="cpu,echo,ccbench")
    p.add_argument("--python", default=real.PYTHON)
    p.add_argument("--duckfeed", default=os.path.join(real.ROOT, "build",
                                                      "duckfeed"))
    p.add_argument("--out", default=os.path.join(real.ROOT, "results",
                                                 "gil-real.json"))
    p.add_argument("--report", default=os.path.join(real.ROOT, "results",
                                                    "GIL-REAL.md"))
    p.add_argument("--one", nargs="+", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def run_one(one):
    kind, rest = one[0], one[1:]
    if kind == "echo-server":
        return echo_server()
    if kind == "ping-client":
        return ping_client(int(rest[0]), float(rest[1]))
    fn = {"cpu": lambda: one_cpu(int(rest[0])),
          "echo": lambda: one_echo(int(rest[0]), float(rest[1]),
                                   float(rest[2])),
          "ccbench": lambda: one_ccbench(int(rest[0]), float(rest[1]))}
    print(json.dumps(fn[kind]()))


def main(argv):
    args = parse_args(argv)
    if args.one:
        return run_one(args.one)
    if args.quick:
        args.duration = 1
    measures = {"cpu": measure_cpu, "echo": measure_echo,
                "ccbench": measure_ccbench}
    rows, raw = [], []
    doc = {"schema": "duckfeed-gil-real/1",
           "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "python": subprocess.run([args.python, "--version"],
                                    capture_output=True,
                                    text=True).stdout.strip(),
           "machine": {"nproc": os.cpu_count()}, "duration_s": args.duration,
           "bounds": real.BOUNDS}
    try:
        for name in args.figures.split(","):
            if name not in measures:
                raise real.SuiteError(f"--figures: no {name!r} "
                                      f"(have {', '.join(measures)})")
            measures[name](args, rows, raw)
            print(f"gil_real.py: {name} done", file=sys.stderr)
    except (real.SuiteError, OSError, ValueError) as e:
        print(f"gil_real.py: {e}", file=sys.stderr)
        return 2
    doc.update({"figures": rows, "real": raw})
    real.write_json(args.out, doc)
    table, n_in = table_md(rows)
    with open(args.report, "w") as f:
        f.write(f"# CPython's GIL beside the simulated one (#15)\n\n"
                f"Run {doc['started']}, {doc['python']}, "
                f"{doc['machine']['nproc']} CPUs, {args.duration} s per "
                "configuration; each real figure's load average is in "
                f"{os.path.basename(args.out)}.\n\n" + table)
    print(f"gil_real.py: {n_in} of {len(rows)} figures inside the bounds; "
          f"{args.report}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
