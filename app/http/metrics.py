"""Prometheus metrics: what is counted, and the /metrics endpoint that shows it."""

import hmac
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Header, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from app.config import get_settings
from app.problems import Unauthorized

_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

HTTP_REQUESTS = Counter(
    "portfolio_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "portfolio_http_request_duration_seconds",
    "Time to answer an HTTP request (the whole body sent), by method and route template.",
    ["method", "route"],
    buckets=_SECONDS,
)
REPORTS_STORED = Counter(
    "portfolio_progress_reports_stored_total",
    "Progress reports committed, by how they arrived (api or spreadsheet).",
    ["source"],
)
ROLLUP_QUERY = Histogram(
    "portfolio_rollup_query_duration_seconds",
    "Time to compute a rollup not cached (every grouping it answers), by its dimensions.",
    ["dimension"],
    buckets=_SECONDS,
)

router = APIRouter(include_in_schema=False)


def reports_stored(count: int, *, source: str) -> None:
    """Count progress reports that were just committed."""
    if count:
        REPORTS_STORED.labels(source=source).inc(count)


@contextmanager
def rollup_timer(by: Sequence[str]) -> Iterator[None]:
    """Time the computing of a rollup under its `by=` dimensions (`total` for none)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        dimension = ",".join(by) or "total"
        ROLLUP_QUERY.labels(dimension=dimension).observe(time.perf_counter() - started)


@router.get("/metrics", response_class=Response, status_code=200, summary="Prometheus metrics")
def metrics(authorization: Annotated[str | None, Header()] = None) -> Response:
    """Prometheus text exposition of the service's metrics."""
    expected = get_settings().metrics_token
    if expected and not hmac.compare_digest(
        (authorization or "").encode(), f"Bearer {expected}".encode()
    ):
        raise Unauthorized("/metrics needs `Authorization: Bearer <METRICS_TOKEN>`.")
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several workers: each writes its samples to files in the folder; sum them here.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
