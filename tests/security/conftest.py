"""Helpers shared by the OWASP API Security Top 10 tests."""

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.http.rate_limits import RateLimiter
from app.main import create_app
from tests.conftest import SessionClient

try:  # FastAPI keeps included routers lazily from 0.16x on; older versions list flat routes.
    from fastapi.routing import iter_route_contexts
except ImportError:  # pragma: no cover
    iter_route_contexts = None

HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def served_operations(app: FastAPI) -> dict[tuple[str, str], bool]:
    """Every (method, path) the app answers, with whether it is in the OpenAPI document."""
    routes = iter_route_contexts(app.routes) if iter_route_contexts else app.routes
    operations = {}
    for route in routes:
        for method in (getattr(route, "methods", None) or set()) & HTTP_METHODS:
            # The path as documented: a convertor (`{id:int}`) is the router's, not the API's.
            path = getattr(route, "path_format", None) or route.path
            operations[(method, path)] = bool(getattr(route, "include_in_schema", True))
    return operations


def is_page(operation: tuple[str, str]) -> bool:
    """Whether an operation is one of the web pages (outside the API and its schema)."""
    _, path = operation
    return path == "/" or path.startswith("/web/")


@pytest.fixture
def make_client(serve_database: str, session: Session) -> Iterator[Callable[..., TestClient]]:
    """Clients of fresh apps on the test's database, optionally with their own limiter."""
    clients: list[TestClient] = []

    def make(limiter: RateLimiter | None = None) -> TestClient:
        app = create_app()
        if limiter is not None:
            app.state.rate_limiter = limiter
        client = SessionClient(app, session, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
