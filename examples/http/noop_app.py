"""examples/http/noop_app.py - the real servers' /noop for compare-nginx.sh.

`app` is WSGI (gunicorn), `asgi` is ASGI (uvicorn): both answer every
request with 200 and "ok\n", as duckfeed serve's /noop and the nginx
`return 200` do, so the servers differ only in how they serve.
"""

HEADERS = [("Content-Type", "text/plain"), ("Content-Length", "3")]


def app(environ, start_response):
    start_response("200 OK", HEADERS)
    return [b"ok\n"]


async def asgi(scope, receive, send):
    # Run with --lifespan off: only HTTP scopes arrive.
    await send({
        "type": "http.response.start",
        "status": 200,
        "headers": [(k.lower().encode(), v.encode()) for k, v in HEADERS],
    })
    await send({"type": "http.response.body", "body": b"ok\n"})
