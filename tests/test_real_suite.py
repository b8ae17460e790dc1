"""tests/test_real_suite.py - the real suite's pieces (examples/python/
real.py) with a fake server in gunicorn's place: start, readiness with a
deadline, stop with escalation and no orphans, wrk's JSON, the simulated
side through duckfeed run, the ratio table and the plots, and the whole
suite end to end through --servers-file.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples", "python"))
import gil_real  # noqa: E402
import real  # noqa: E402

FAKE = [sys.executable, os.path.join(HERE, "fake_server.py"), "{port}"]
BUILD = os.environ.get("DF_BUILD_DIR", os.path.join(HERE, "..", "build"))
DUCKFEED = os.path.join(BUILD, "duckfeed")


class Lifecycle(unittest.TestCase):
    def setUp(self):
        self.log = open(os.devnull, "w")
        self.addCleanup(self.log.close)

    def start(self, *extra):
        port = real.free_port()
        proc = real.start_server(FAKE + list(extra), port, self.log)
        self.addCleanup(lambda: proc.poll() is None and real.stop_server(proc))
        return proc, port

    def test_real_ready_after_slow_boot(self):
        proc, port = self.start("--delay", "0.5")

        waited = real.wait_ready(proc, port, 20)

        self.assertGreaterEqual(waited, 0.4)
        self.assertEqual(real.probe(port, "/noop", 2), 200)

    def test_real_ready_deadline(self):
        proc, port = self.start("--delay", "30")

        t0 = time.monotonic()
        with self.assertRaisesRegex(real.SuiteError, "not ready after"):
            real.wait_ready(proc, port, 0.5)
        self.assertLess(time.monotonic() - t0, 10)

    def test_real_ready_exited(self):
        port = real.free_port()
        proc = real.start_server([sys.executable, "-c", "exit(3)"], port,
                                 self.log)

        with self.assertRaisesRegex(real.SuiteError, r"exited \(3\)"):
            real.wait_ready(proc, port, 20)

    def test_real_stop_term_no_orphans(self):
        proc, port = self.start("--child")
        real.wait_ready(proc, port, 20)

        how = real.stop_server(proc, grace_s=10)

        self.assertEqual(how, "term")
        self.assertEqual(real.group_members(proc.pid), [])

    def test_real_stop_escalates_to_kill(self):
        proc, port = self.start("--ignore-term", "--child")
        real.wait_ready(proc, port, 20)

        how = real.stop_server(proc, grace_s=0.3)

        self.assertEqual(how, "kill")
        self.assertEqual(real.group_members(proc.pid), [])


class Client(unittest.TestCase):
    def test_real_parse_wrk(self):
        text = ("Running 1s test\n  2 threads\n" 'DF-WRK-JSON {"requests": 500,'
                ' "duration_us": 2000000, "bytes": 1, "errors": {"connect": 1,'
                ' "read": 0, "write": 0, "status": 2, "timeout": 0},'
                ' "latency_us": {"mean": 1.0, "p50": 1, "p90": 2, "p99": 3,'
                ' "max": 4}}\n')

        d = real.parse_wrk(text)

        self.assertEqual(d["throughput_rps"], 250)
        self.assertEqual(d["errors_total"], 3)
        with self.assertRaises(real.SuiteError):
            real.parse_wrk("Running 1s test\n")

    @unittest.skipIf(shutil.which("wrk") is None, "wrk not installed")
    def test_real_wrk_against_fake(self):
        log = open(os.devnull, "w")
        self.addCleanup(log.close)
        port = real.free_port()
        proc = real.start_server(FAKE, port, log)
        self.addCleanup(real.stop_server, proc)
        real.wait_ready(proc, port, 20)

        d = real.run_wrk(f"http://127.0.0.1:{port}/noop", 2, 1)

        self.assertGreater(d["requests"], 0)
        self.assertEqual(d["errors_total"], 0)
        self.assertLessEqual(d["latency_us"]["p50"], d["latency_us"]["p99"])


def pids_with(token):
    """Live processes whose command line holds token."""
    pids = []
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                if token.encode() in f.read():
                    pids.append(int(name))
        except (OSError, ValueError):
            pass
    return [p for p in pids if p != os.getpid()]


def cell(server, name, c, real_rps, sim_rps, p50=(1000, 1000)):
    def side(rps, p):
        return {"throughput_rps": rps, "latency_us": {"p50": p, "p99": 2 * p},
                "loadavg_1m": 0.5}
    re, si = side(real_rps, p50[0]), side(sim_rps, p50[1])
    ra, ins = real.ratios(si, re)
    return {"server": server, "path": "/" + name, "path_name": name,
            "concurrency": c, "real": re, "simulated": si, "ratio": ra,
            "inside": ins}


class Table(unittest.TestCase):
    def test_real_ratios_bounds(self):
        ra, ins = real.ratios(
            {"throughput_rps": 90, "latency_us": {"p50": 160, "p99": 66}},
            {"throughput_rps": 100, "latency_us": {"p50": 100, "p99": 100}})

        self.assertAlmostEqual(ra["throughput"], 0.9)
        self.assertEqual(ins, {"throughput": True, "p50": False, "p99": False})

    def test_real_ratio_of_nothing(self):
        ra, ins = real.ratios(
            {"throughput_rps": 5, "latency_us": {"p50": 1, "p99": 1}},
            {"throughput_rps": 0, "latency_us": {"p50": 1, "p99": 1}})

        self.assertIsNone(ra["throughput"])
        self.assertFalse(ins["throughput"])

    def test_real_table_counts(self):
        cells = [cell("a", "noop", 1, 100, 100),
                 cell("a", "noop", 8, 100, 200),
                 cell("b", "noop", 1, 100, 100, (1000, 2000))]

        text, count = real.table_md(cells)

        self.assertEqual(count, {"throughput": 2, "p50": 2, "p99": 2,
                                 "all": 1})
        self.assertIn("**2.00**", text)
        self.assertEqual(text.count("\n| a |"), 2)

    def test_real_calibration_table_counts(self):
        cells = [cell("a", "noop", 1, 100, 100), cell("a", "noop", 8, 100, 90)]
        for c, plain in zip(cells, (500, 100)):
            c["uncalibrated"] = dict(zip(("ratio", "inside"), real.ratios(
                {"throughput_rps": plain, "latency_us": {"p50": 1, "p99": 1}},
                c["real"])))

        text = real.calibration_table_md(cells)

        self.assertIn("throughput 1 -> 2, p50 0 -> 2, p99 0 -> 2", text)
        self.assertIn("**5.00**", text)
        self.assertEqual(real.calibration_table_md(cells[:0]), "")

    def test_real_plot(self):
        cells = [cell(s, n, c, 100 * c, 90 * c) for s in ("a", "b")
                 for n in ("noop", "cpu") for c in (1, 8, 64)]
        with tempfile.TemporaryDirectory() as tmp:
            made = real.plot(cells, tmp, "test")

            self.assertEqual([os.path.basename(m) for m in made],
                             ["real-noop.png", "real-cpu.png"])
            for m in made:
                self.assertGreater(os.path.getsize(m), 1000)
            with open(os.path.join(tmp, "real-noop.dat")) as f:
                self.assertEqual(f.read().count("\n\n\n"), 4)


@unittest.skipIf(not os.access(DUCKFEED, os.X_OK), "duckfeed not built")
class Simulated(unittest.TestCase):
    def test_real_sim_via_run(self):
        cells = real.sim_via_run(DUCKFEED, ["--model", "process", "--workers",
                                            "1"], "sleep:ms=5", [1, 2], 0.3)

        self.assertEqual(sorted(cells), [1, 2])
        self.assertGreater(cells[1]["throughput_rps"], 0)
        self.assertGreaterEqual(cells[1]["latency_us"]["p50"], 5000)

    @unittest.skipIf(shutil.which("wrk") is None, "wrk not installed")
    def test_real_suite_end_to_end(self):
        with tempfile.TemporaryDirectory() as tmp:
            servers = os.path.join(tmp, "servers.json")
            with open(servers, "w") as f:
                json.dump([{"name": "fake", "command": FAKE + ["--child"],
                            "sim": ["--model", "process", "--workers", "1"]}],
                          f)
            out = os.path.join(tmp, "real.json")

            rc = real.main(["--servers-file", servers, "--paths", "noop",
                            "--concurrency", "1,2", "--duration", "1",
                            "--duckfeed", DUCKFEED, "--out", out, "--report",
                            os.path.join(tmp, "REAL.md"), "--plots-dir", tmp])

            self.assertEqual(rc, 0)
            with open(out) as f:
                doc = json.load(f)
            self.assertTrue(doc["complete"])
            self.assertEqual(len(doc["cells"]), 2)
            self.assertEqual(doc["servers"][0]["stopped_by"], "term")
            self.assertTrue(os.path.exists(os.path.join(tmp, "real-noop.png")))

    @unittest.skipIf(shutil.which("wrk") is None, "wrk not installed")
    def test_real_calibrate_then_calibrated_table(self):
        with tempfile.TemporaryDirectory() as tmp:
            servers = os.path.join(tmp, "servers.json")
            with open(servers, "w") as f:
                json.dump([{"name": "fake", "command": FAKE,
                            "sim": ["--model", "process", "--workers", "1"]}],
                          f)
            cal, out = (os.path.join(tmp, n) for n in ("cal.json", "r.json"))
            common = ["--servers-file", servers, "--duration", "1",
                      "--duckfeed", DUCKFEED, "--plots-dir", tmp]

            rc1 = real.main(common + ["--calibrate", cal])
            rc2 = real.main(common + ["--paths", "noop", "--concurrency", "1",
                                      "--calibration", cal, "--out", out,
                                      "--report", os.path.join(tmp, "R.md")])

            self.assertEqual((rc1, rc2), (0, 0))
            with open(cal) as f:
                entry = json.load(f)["entries"][0]
            self.assertEqual((entry["name"], entry["model"]),
                             ("fake", "process"))
            self.assertGreater(entry["request_cost_us"], 0)
            with open(out) as f:
                c = json.load(f)["cells"][0]
            self.assertIn("uncalibrated", c)
            self.assertIn(f"{cal}#fake", c["simulated"]["argv"])
            with open(os.path.join(tmp, "R.md")) as f:
                self.assertIn("Without and with calibration", f.read())

    @unittest.skipIf(shutil.which("wrk") is None, "wrk not installed")
    def test_real_failed_server_others_still_run(self):
        with tempfile.TemporaryDirectory() as tmp:
            servers = os.path.join(tmp, "servers.json")
            with open(servers, "w") as f:
                json.dump([{"name": "dies", "sim": [], "command":
                            [sys.executable, "-c", "exit(3)"]},
                           {"name": "fake", "command": FAKE, "sim":
                            ["--model", "process", "--workers", "1"]}], f)
            out = os.path.join(tmp, "real.json")

            rc = real.main(["--servers-file", servers, "--paths", "noop",
                            "--concurrency", "1", "--duration", "1",
                            "--duckfeed", DUCKFEED, "--out", out, "--report",
                            os.path.join(tmp, "REAL.md"), "--plots-dir", tmp])

            self.assertEqual(rc, 1)
            with open(out) as f:
                doc = json.load(f)
            self.assertIn("exited (3)", doc["servers"][0]["error"])
            self.assertEqual([c["server"] for c in doc["cells"]], ["fake"])

    @unittest.skipIf(shutil.which("wrk") is None, "wrk not installed")
    def test_real_sigterm_stops_server(self):
        token = f"df-test-{os.getpid()}-{time.monotonic_ns()}"
        with tempfile.TemporaryDirectory() as tmp:
            servers = os.path.join(tmp, "servers.json")
            with open(servers, "w") as f:
                json.dump([{"name": "fake", "sim": [], "command":
                            FAKE + ["--child", token]}], f)
            proc = subprocess.Popen(
                [sys.executable, real.__file__, "--servers-file", servers,
                 "--paths", "noop", "--concurrency", "1,1,1,1,1",
                 "--duration", "1", "--out", os.path.join(tmp, "r.json")],
                stderr=subprocess.PIPE, text=True)
            proc.stderr.readline()  # the first cell is done: it is serving

            proc.terminate()
            proc.communicate(timeout=60)

            self.assertNotEqual(proc.returncode, 0)
            self.assertEqual(pids_with(token), [])

    def test_real_serve_url_and_argv(self):
        self.assertEqual(real.serve_url("sleep:ms=20"), "/sleep?ms=20")
        self.assertEqual(real.serve_url("noop"), "/noop")
        self.assertEqual(real.serve_url("hash:bytes=64,release_gil=true"),
                         "/hash?bytes=64&release_gil=true")
        self.assertEqual(real.serve_argv(["--model", "thread", "--processes",
                                          "2", "--threads", "4"]),
                         ["--model", "thread", "--workers", "2", "--threads",
                          "4"])

    @unittest.skipIf(shutil.which("wrk") is None, "wrk not installed")
    def test_real_sim_via_serve(self):
        cells = real.sim_via_serve(DUCKFEED, ["--model", "asyncio",
                                              "--processes", "1"],
                                   "sleep:ms=5", [1], 1)

        self.assertEqual(cells[1]["driver"], "serve")
        self.assertEqual(cells[1]["errors_total"], 0)
        self.assertGreater(cells[1]["requests"], 0)
        self.assertGreaterEqual(cells[1]["latency_us"]["p50"], 5000)

    def test_real_bad_server_name_exit_2(self):
        r = subprocess.run([sys.executable, real.__file__, "--servers",
                            "nope"], capture_output=True, text=True)

        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)
        self.assertIn("'nope'", r.stderr)


class Gil(unittest.TestCase):
    """gil_real.py's children and table (the CPython side runs with the
    interpreter running this test: no package is needed)."""

    def test_gil_real_cpu_child(self):
        d = gil_real.child(sys.executable, "cpu", 2)

        self.assertEqual(d["threads"], 2)
        self.assertGreater(d["sequential_s"], 0)
        self.assertGreater(d["threaded_s"], 0)

    def test_gil_real_echo_child(self):
        d = gil_real.child(sys.executable, "echo", 1, 5, 1)

        self.assertGreater(d["throughput_rps"], 0)
        self.assertLessEqual(d["latency_us"]["p50"], d["latency_us"]["p99"])

    def test_gil_real_ccbench_child(self):
        d = gil_real.child(sys.executable, "ccbench", 1, 0.5)

        self.assertGreater(d["pings"], 2)
        self.assertGreater(d["latency_us"]["p50"], 0)

    def test_gil_real_table(self):
        rows = [gil_real.figure("echo", "1 hogs", "p50", 150, 100, (0.67, 1.5)),
                gil_real.figure("echo", "1 hogs", "p99", 200, 100, (0.67, 1.5)),
                gil_real.figure("cpu", "2", "round trips/s", None, 0, (0.8, 1))]

        text, n_in = gil_real.table_md(rows)

        self.assertEqual(n_in, 1)
        self.assertIn("**2.00**", text)
        self.assertIsNone(rows[2]["ratio"])

    def test_gil_real_bad_figure_exit_2(self):
        r = subprocess.run([sys.executable, gil_real.__file__, "--figures",
                            "nope"], capture_output=True, text=True)

        self.assertEqual(r.returncode, 2)
        self.assertIn("'nope'", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
