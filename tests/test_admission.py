"""No more requests inside the application at once than the pool has connections for."""

import anyio

from app.admission import ConcurrencyLimit


def _run(limit: int, paths: list[str]) -> int:
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
                group.start_soon(limited, {"type": "http", "path": path}, None, None)

    anyio.run(main)
    return most


def test_requests_beyond_the_limit_wait_their_turn():
    assert _run(3, ["/api/v1/projects"] * 20) == 3


def test_liveness_is_never_queued():
    assert _run(1, ["/healthz"] * 5) == 5
