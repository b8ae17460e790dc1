"""asgi_app - the ASGI app uvicorn serves in the real suite: the same four
paths as wsgi_app.

/io awaits asyncio.sleep, so the loop serves others meanwhile; /blocking is
a plain time.sleep inside `async def`, the mistake that blocks the loop
(duckfeed's `syncsleep` workload on the asyncio model).
"""
import asyncio
import time

import duckapp


async def _answer(send, status, body):
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    path = scope.get("path", "")
    query = scope.get("query_string", b"").decode("latin-1")
    try:
        if path == "/noop":
            pass
        elif path == "/cpu":
            duckapp.cpu(duckapp.int_param(query, "us", duckapp.MAX_US))
        elif path == "/io":
            await asyncio.sleep(
                duckapp.int_param(query, "ms", duckapp.MAX_MS) / 1000)
        elif path == "/blocking":
            time.sleep(duckapp.int_param(query, "ms", duckapp.MAX_MS) / 1000)
        else:
            return await _answer(send, 404, b"not found\n")
    except duckapp.BadRequest as e:
        return await _answer(send, 400, f"{e}\n".encode())
    await _answer(send, 200, b"ok\n")
