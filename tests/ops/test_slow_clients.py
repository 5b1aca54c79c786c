"""Clients that trickle their bodies or send huge headers hold nothing the service needs."""

import socket
import time
from collections.abc import Iterator

import anyio
import httpx
import pytest

from app.http.request_limits import UPLOAD_PATHS, BodySizeLimit, HeaderLimit
from app.models import Role
from tests import factories
from tests.ops.conftest import issue_token, serve

SLOW_CONNECTIONS = 50


@pytest.fixture(scope="module")
def served_url(seeded_copy) -> Iterator[str]:
    """A copy of the seeded database on the engine under test, for a real server."""
    with seeded_copy() as url:
        yield url


def _slow_posts(port: int, count: int) -> list[socket.socket]:
    """Unauthenticated POSTs that promise 50,000 bytes and send one."""
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(
            b"POST /api/v1/projects/INF-001/progress HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 50000\r\n\r\n{"
        )
        held.append(sock)
    return held


def test_slow_bodies_neither_block_the_api_nor_the_probes(served_url, tmp_path):
    _, secret = issue_token(served_url, Role.planner)
    headers = {"Authorization": f"Bearer {secret}"}
    with serve(served_url, tmp_path, BODY_TIMEOUT_SECONDS="6") as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        held = _slow_posts(port, SLOW_CONNECTIONS)
        try:
            with httpx.Client(base_url=server.base_url, timeout=1.0) as client:
                # While the bodies trickle (a byte every two seconds), everything else answers.
                for round_ in range(2):
                    for sock in held:
                        sock.sendall(b" ")
                    parks = client.get("/api/v1/parks", headers=headers)
                    assert parks.status_code == 200, parks.text
                    assert client.get("/readyz").status_code == 200
                    assert client.get("/healthz").status_code == 200
                    if round_ == 0:
                        time.sleep(2)
            # Past the deadline each slow request is answered 408 and its connection closed.
            for sock in held:
                sock.settimeout(10)
                answer = _read_all(sock)
                assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
                assert b"application/problem+json" in answer
        finally:
            for sock in held:
                sock.close()


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_huge_headers_are_refused_by_the_running_server(served_url, tmp_path):
    with serve(served_url, tmp_path) as server:
        big = httpx.get(f"{server.base_url}/healthz", headers={"X-Big": "a" * 10_000_000})
        many = httpx.get(f"{server.base_url}/healthz", headers={f"X-H{i}": "1" for i in range(200)})
        fine = httpx.get(f"{server.base_url}/healthz", headers={"X-Small": "a" * 1000})
    assert big.status_code == 431
    assert big.headers["content-type"] == "application/problem+json"
    assert many.status_code == 431
    assert fine.status_code == 200


# The middleware on its own, driven by hand.


async def _app(scope, receive, send):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def _drive(middleware, scope, messages: Iterator[dict], pause: float = 0) -> list[dict]:
    sent: list[dict] = []

    async def receive():
        if pause:
            await anyio.sleep(pause)
        return next(messages)

    async def send(message):
        sent.append(message)

    anyio.run(middleware, scope, receive, send)
    return sent


def _scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict:
    return {"type": "http", "method": "POST", "path": path, "headers": headers}


def test_a_body_past_its_deadline_is_408():
    middleware = BodySizeLimit(_app, json_limit=1000, upload_limit=5000, deadline=0.2)
    trickle = iter({"type": "http.request", "body": b"x", "more_body": True} for _ in range(50))
    sent = _drive(middleware, _scope("/api/v1/x", [(b"content-length", b"50")]), trickle, 0.05)
    assert sent[0]["status"] == 408
    assert (b"connection", b"close") in sent[0]["headers"]


def test_a_body_in_time_reaches_the_app_whole():
    middleware = BodySizeLimit(_app, json_limit=1000, upload_limit=5000, deadline=5)
    parts = iter(
        [
            {"type": "http.request", "body": b"ab", "more_body": True},
            {"type": "http.request", "body": b"cd", "more_body": False},
        ]
    )
    sent = _drive(middleware, _scope("/api/v1/x", [(b"content-length", b"4")]), parts)
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"abcd"


@pytest.mark.parametrize(
    "content_type",
    [
        b"application/vnd.openxmlformats+json",
        b"multipart/form-data; boundary=x",
        b"text/csv",
    ],
)
def test_the_limit_is_the_routes_not_the_content_types(content_type):
    middleware = BodySizeLimit(_app, json_limit=1000, upload_limit=5000, deadline=5)
    body = iter([{"type": "http.request", "body": b"x" * 3000, "more_body": False}])
    headers = [(b"content-type", content_type), (b"transfer-encoding", b"chunked")]
    sent = _drive(middleware, _scope("/api/v1/projects/INF-001/progress", headers), body)
    assert sent[0]["status"] == 413
    upload = iter([{"type": "http.request", "body": b"x" * 3000, "more_body": False}])
    sent = _drive(middleware, _scope("/api/v1/progress-uploads", headers), upload)
    assert sent[0]["status"] == 200


def test_json_routes_refuse_a_large_body_whatever_its_content_type(client, auth, session):
    code = factories.project(session).code
    response = client.post(
        f"/api/v1/projects/{code}/progress",
        headers={**auth(Role.officer), "Content-Type": "application/vnd.openxmlformats+json"},
        content=b'{"note": "' + b"x" * 100_000 + b'"}',
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_every_route_that_takes_files_has_the_upload_limit(client):
    spec = client.get("/openapi.json").json()
    takes_files = {
        path
        for path, operations in spec["paths"].items()
        for operation in operations.values()
        if "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    }
    assert takes_files
    assert takes_files <= UPLOAD_PATHS


def test_header_limits():
    middleware = HeaderLimit(_app, max_count=10, max_bytes=100)
    ok = iter([{"type": "http.request", "body": b"", "more_body": False}])
    assert _drive(middleware, _scope("/x", [(b"a", b"b")] * 10), ok)[0]["status"] == 200
    many = _drive(middleware, _scope("/x", [(b"a", b"b")] * 11), iter([]))
    assert many[0]["status"] == 431
    big = _drive(middleware, _scope("/x", [(b"a", b"b" * 100)]), iter([]))
    assert big[0]["status"] == 431
