"""Admit no more requests at once than the database pool has connections for."""

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

# Liveness needs no database and must answer even when every connection is busy.
_UNLIMITED_PATHS = frozenset({"/healthz"})


class ConcurrencyLimit:
    """ASGI middleware: at most `limit` requests inside the application; the rest queue here.

    A request keeps its session's connection between the steps FastAPI runs in worker
    threads. With more requests inside than connections, the threads fill with requests
    waiting for a connection while the requests holding connections wait for a thread: the
    process stalls until the pool times out and answers 500. Queued here, a request holds
    neither.
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limiter = anyio.CapacityLimiter(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        async with self.limiter:
            await self.app(scope, receive, send)
