"""ASGI middleware giving every request an id, an access-log line and its metrics."""

import logging
import re
import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.metrics import HTTP_LATENCY, HTTP_REQUESTS
from app.logs import get_logger, request_id_from

REQUEST_ID_HEADER = "X-Request-ID"
_HEADER_KEY = REQUEST_ID_HEADER.lower().encode()
access_log = get_logger("app.access")
# The standard-library logger behind `access_log`: asking it whether INFO is on is a cached
# lookup, where a structlog call builds the whole event before its level filter drops it.
_access_level = logging.getLogger("app.access")
# Methods outside these share one label, so that invented methods cannot grow the series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestObservability:
    """Pure ASGI (not BaseHTTPMiddleware), so streamed exports pass through chunk by chunk."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = dict(scope["headers"]).get(_HEADER_KEY)
        request_id = request_id_from(incoming.decode("latin-1") if incoming else None)
        # Bound for this request's task: every line logged while serving it carries the id,
        # including those of synchronous endpoints (the thread pool copies the context).
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        # The authentication dependency notes the token here (see app.auth.deps).
        state: dict[str, Any] = scope.setdefault("state", {})
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (_HEADER_KEY, request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            template = route_template(scope)
            method = scope["method"]
            requests, latency = _series(method, template, status)
            requests.inc()
            latency.observe(duration)
            if _access_level.isEnabledFor(logging.INFO):
                access_log.info(
                    "request",
                    method=method,
                    path=scope["path"],
                    route=template,
                    status=status,
                    duration_ms=round(duration * 1000, 1),
                    token_id=state.get("token_id"),
                    role=state.get("token_role"),
                    client=(scope.get("client") or [None])[0],
                )


# The labelled children of the two request metrics, looked up once per method, route and
# status: `labels()` takes a lock and builds its key on every call. Bounded, as the labels are.
_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _series(method: str, template: str, status: int) -> tuple[Any, Any]:
    method = method if method in _METHODS else "OTHER"
    key = (method, template, status)
    series = _SERIES.get(key)
    if series is None:
        series = (
            HTTP_REQUESTS.labels(method=method, route=template, status=str(status)),
            HTTP_LATENCY.labels(method=method, route=template),
        )
        _SERIES[key] = series
    return series


_PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


def route_template(scope: Scope) -> str:
    """The matched route's full path template, e.g. `/api/v1/projects/{code}`."""
    route = scope.get("route")
    pattern = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(pattern, str):
        return "unmatched"
    # The route may know only its path inside an included router (no /api/v1 prefix); the
    # prefix is what the request path has before the route's part of it.
    params = scope.get("path_params") or {}
    rendered = _PARAM.sub(lambda m: str(params.get(m.group(1), m.group(0))), pattern)
    path: str = scope["path"]
    if path.endswith(rendered):
        return path[: len(path) - len(rendered)] + _PARAM.sub(r"{\1}", pattern)
    return _PARAM.sub(r"{\1}", pattern)
