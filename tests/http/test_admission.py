"""No more requests inside the application at once than the pool has connections for."""

import anyio
import pytest

from app.http.admission import ConcurrencyLimit

TOKEN = [(b"authorization", b"Bearer kp_x")]


def _run(limit: int, paths: list[str], headers: list[tuple[bytes, bytes]] = TOKEN) -> int:
    inside = 0
    most = 0

    async def app(scope, receive, send):
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await anyio.sleep(0.01)
        inside -= 1

    limited = ConcurrencyLimit(app, limit=limit)

    async def main():
        async with anyio.create_task_group() as group:
            for path in paths:
                scope = {"type": "http", "path": path, "headers": headers}
                group.start_soon(limited, scope, None, None)

    anyio.run(main)
    return most


def test_requests_beyond_the_limit_wait_their_turn():
    assert _run(3, ["/api/v1/projects"] * 20) == 3
    assert _run(3, ["/web/projects"] * 20, headers=[]) == 3


@pytest.mark.parametrize(
    "path", ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/static/app.css"]
)
def test_probes_docs_and_files_are_never_queued(path):
    assert _run(1, [path] * 5) == 5


def test_api_requests_without_credentials_take_no_place():
    # They are refused with 401 before any statement runs.
    assert _run(1, ["/api/v1/projects"] * 5, headers=[]) == 5
