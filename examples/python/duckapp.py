"""duckapp - the endpoints both apps share, and the /cpu calibration.

/cpu?us=N must burn N microseconds of pure-Python work holding the GIL, as
duckfeed's `cpu` workload does. Python's speed differs per machine and per
build, so the loop is calibrated once at import: spin() runs a fixed number
of iterations several times and the fastest run gives iterations per
microsecond. The runs are timed on the thread's CPU clock
(time.thread_time_ns), not the wall clock, so time spent preempted by a
neighbour on a shared machine is not counted as work; of those runs the
fastest is kept, as cache misses and frequency dips only slow a run.
"""
import time

CALIBRATION_ITERS = 200_000
CALIBRATION_RUNS = 5
MAX_US = 10_000_000  # 10 s: a bigger ask is a mistake, answered 400
MAX_MS = 60_000


def spin(iters):
    """The pure-Python loop /cpu runs: bytecode only, no C call to release
    the GIL in."""
    x = 0
    for i in range(iters):
        x += i & 7
    return x


def calibrate(iters=CALIBRATION_ITERS, runs=CALIBRATION_RUNS):
    """Iterations of spin() per microsecond on this machine (fastest run)."""
    best_ns = None
    for _ in range(runs):
        t0 = time.thread_time_ns()
        spin(iters)
        dt = time.thread_time_ns() - t0
        best_ns = dt if best_ns is None or dt < best_ns else best_ns
    return iters / (max(best_ns, 1) / 1000.0)


ITERS_PER_US = calibrate()


def cpu(us):
    spin(int(us * ITERS_PER_US))


class BadRequest(Exception):
    pass


def int_param(query, name, limit):
    """The integer query parameter `name` of a raw query string, 0..limit."""
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key == name:
            try:
                n = int(value)
            except ValueError:
                raise BadRequest(f"{name}={value!r}: not an integer")
            if n < 0 or n > limit:
                raise BadRequest(f"{name}={n}: out of 0..{limit}")
            return n
    raise BadRequest(f"{name}: missing")


PATHS = ("/noop", "/cpu", "/io", "/blocking")
