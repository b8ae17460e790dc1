"""wsgi_app - the WSGI app gunicorn serves in the real suite (sync, gthread,
gevent workers): /noop, /cpu?us=, /io?ms= and /blocking?ms=.

WSGI has no async: /io and /blocking are both a plain time.sleep, which
blocks a sync or gthread worker's thread and yields under gevent (its
worker monkey-patches time.sleep). They are two paths so that every server
answers the same four URLs.
"""
import time

import duckapp


def _answer(start_response, status, body):
    start_response(status, [("Content-Type", "text/plain"),
                            ("Content-Length", str(len(body)))])
    return [body]


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    try:
        if path == "/noop":
            pass
        elif path == "/cpu":
            duckapp.cpu(duckapp.int_param(query, "us", duckapp.MAX_US))
        elif path in ("/io", "/blocking"):
            time.sleep(duckapp.int_param(query, "ms", duckapp.MAX_MS) / 1000)
        else:
            return _answer(start_response, "404 Not Found", b"not found\n")
    except duckapp.BadRequest as e:
        return _answer(start_response, "400 Bad Request", f"{e}\n".encode())
    return _answer(start_response, "200 OK", b"ok\n")
