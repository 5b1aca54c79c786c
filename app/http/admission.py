"""Admit no more requests at once than the database pool has connections for."""

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

# Only these do database work on a request's session; the probes (/readyz has connections of
# its own), the docs, the metrics and the static files never wait behind them.
_DATABASE_PREFIXES = ("/api/", "/web/")


class ConcurrencyLimit:
    """ASGI middleware: at most `limit` requests inside the application; the rest queue here.

    A request keeps its session's connection between the steps FastAPI runs in worker
    threads. With more requests inside than connections, the threads fill with requests
    waiting for a connection while the requests holding connections wait for a thread: the
    process stalls until the pool times out and answers 500. Queued here, a request holds
    neither. Only requests that can reach the database queue: an API request without
    credentials is refused (401) before any statement runs, and every body is already in hand
    (`app.http.request_limits`), so neither a client without a token nor one trickling its body
    takes a place.
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limiter = anyio.CapacityLimiter(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _reaches_database(scope):
            await self.app(scope, receive, send)
            return
        async with self.limiter:
            await self.app(scope, receive, send)


def _reaches_database(scope: Scope) -> bool:
    path: str = scope["path"]
    if not path.startswith(_DATABASE_PREFIXES):
        return False
    if path.startswith("/api/"):
        return any(name == b"authorization" for name, _ in scope["headers"])
    return True
