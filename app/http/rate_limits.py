"""Per-token rate limits on writes and exports, counted in storage that workers can share."""

import logging
import math
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from limits import parse, storage, strategies
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.exports.negotiation import format_from_accept
from app.exports.writers import XLSX_MEDIA_TYPE, ExportFormat
from app.problems import AppError, problem_content

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# Spreadsheet operations (the monthly template, uploads) always move a file: they count as
# exports whatever they are asked for.
SPREADSHEET_TAG = "spreadsheets"
_EXPORT_MEDIA_TYPES = ("text/csv", XLSX_MEDIA_TYPE)


class TooManyRequests(AppError):
    status_code = 429


class RateLimiter:
    """Counts each token's writes and exports in a moving window and refuses the excess."""

    def __init__(
        self,
        *,
        storage_url: str,
        writes: str,
        exports: str,
        namespace: str = "portfolio",
    ) -> None:
        self.storage = storage.storage_from_string(storage_url)
        self.in_memory = isinstance(self.storage, storage.MemoryStorage)
        self.strategy = strategies.MovingWindowRateLimiter(self.storage)
        self.limits = {"writes": parse(writes), "exports": parse(exports)}
        self.namespace = namespace

    @classmethod
    def from_settings(cls, settings: Settings) -> "RateLimiter":
        """The limiter the settings describe."""
        return cls(
            storage_url=settings.rate_limit_storage_url,
            writes=settings.rate_limit_writes,
            exports=settings.rate_limit_exports,
        )

    async def check(self, request: Request, *, token_id: int) -> None:
        """Count the request against each limit it falls under; 429 once one is spent."""
        # Most requests are reads that no limit counts. Counters in this process's memory
        # are counted on the event loop; a network service is asked from a worker thread.
        for kind in _kinds(request):
            if self.in_memory:
                self.hit(kind, token_id=token_id)
            else:
                await run_in_threadpool(self.hit, kind, token_id=token_id)

    def hit(self, kind: str, *, token_id: int) -> None:
        """Count one write or export of the token; 429 once its allowance is spent."""
        item = self.limits[kind]
        try:
            if self.strategy.hit(item, self.namespace, kind, str(token_id)):
                return
            reset_at = self.strategy.get_window_stats(
                item, self.namespace, kind, str(token_id)
            ).reset_time
        except Exception:
            # A limiter whose storage is down must not take the API down with it.
            log.warning("rate limit storage unavailable; %s not counted", kind, exc_info=True)
            return
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise TooManyRequests(
            f"This token has used its {kind} allowance ({item}); try again in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


def _kinds(request: Request) -> list[str]:
    kinds = []
    if request.method in WRITE_METHODS:
        kinds.append("writes")
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and _is_export(request, route):
        kinds.append("exports")
    return kinds


def _is_export(request: Request, route: APIRoute) -> bool:
    if SPREADSHEET_TAG in route.tags:
        return True
    if not _can_export(route.responses.get(200, {})):
        return False
    asked = request.query_params.get("format")
    if asked in set(ExportFormat):
        return True
    return format_from_accept(request.headers.get("accept")) is not None


def _can_export(response: dict[str, Any]) -> bool:
    return any(media in response.get("content", {}) for media in _EXPORT_MEDIA_TYPES)


TOO_MANY_REQUESTS: dict[str, Any] = {
    "description": "Too Many Requests: this token's allowance of writes or exports is spent.",
    "headers": {
        "Retry-After": {
            "description": "Seconds until the next request may succeed.",
            "schema": {"type": "integer"},
        }
    },
    "content": problem_content(429),
}


def install_rate_limits(app: FastAPI, settings: Settings) -> None:
    """Give the app its limiter and document 429 on every operation it limits."""
    app.state.rate_limiter = RateLimiter.from_settings(settings)
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        schema = build_openapi()  # FastAPI caches it on the app: the edit below is made once
        if fresh:
            for path, operations in schema["paths"].items():
                for method, operation in operations.items():
                    if path.startswith("/api/") and _limited(method, operation):
                        operation["responses"]["429"] = TOO_MANY_REQUESTS
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _limited(method: str, operation: dict[str, Any]) -> bool:
    if method.upper() in WRITE_METHODS or SPREADSHEET_TAG in operation.get("tags", []):
        return True
    return _can_export(operation.get("responses", {}).get("200", {}))
