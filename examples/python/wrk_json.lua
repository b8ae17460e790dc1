-- examples/python/wrk_json.lua - wrk's summary as one JSON line.
--
-- wrk's own text rounds and changes units (1.23ms, 45.6k); real.py reads
-- this line instead, marked so wrk's text around it cannot be mistaken
-- for it. Latencies are wrk's microseconds; errors are wrk's counters
-- (status: non-2xx/3xx answers).
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'DF-WRK-JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
        '"errors": {"connect": %d, "read": %d, "write": %d, ' ..
        '"status": %d, "timeout": %d}, ' ..
        '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, ' ..
        '"max": %d}}\n',
        summary.requests, summary.duration, summary.bytes,
        e.connect, e.read, e.write, e.status, e.timeout,
        latency.mean, latency:percentile(50), latency:percentile(90),
        latency:percentile(99), latency.max))
end
