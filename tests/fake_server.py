"""tests/fake_server.py - stands in for gunicorn in tests/test_real_suite.py.

usage: fake_server.py PORT [--delay S] [--ignore-term] [--child]
Answers every GET with 200 "ok" after --delay seconds of not listening
(a slow boot); --ignore-term makes it (and its child) ignore SIGTERM, so
the stop has to escalate; --child forks a worker that sleeps, as an
arbiter's worker would, which must not outlive the stop.
"""
import http.server
import os
import signal
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main(argv):
    port = int(argv[0])
    if "--ignore-term" in argv:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if "--child" in argv and os.fork() == 0:
        while True:
            time.sleep(1)
    if "--delay" in argv:
        time.sleep(float(argv[argv.index("--delay") + 1]))
    http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                    Handler).serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
