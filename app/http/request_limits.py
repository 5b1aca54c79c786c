"""Bounds on what a request may send: its headers, and a body read whole before admission."""

import json
import re

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import API_PREFIX
from app.logs import current_request_id
from app.problems import PROBLEM_JSON

# The routes that take spreadsheets (multipart/form-data): they, and only they, get the upload
# limit. tests/security/test_api4_resource_consumption.py holds the OpenAPI document to it.
UPLOAD_PATHS = frozenset(
    {f"{API_PREFIX}/progress-uploads", f"{API_PREFIX}/parks/{{park_id}}/plans", "/web/spreadsheet"}
)
# The upload paths with a parameter, as patterns of the paths requested.
_UPLOAD_PATTERNS = tuple(
    re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$")
    for path in UPLOAD_PATHS
    if "{" in path
)


def takes_files(path: str) -> bool:
    """Whether `path` is one of the upload routes, which get the upload limit."""
    return path in UPLOAD_PATHS or any(p.match(path) for p in _UPLOAD_PATTERNS)


class HeaderLimit:
    """ASGI middleware: more header lines or bytes than any client of ours sends get 431."""

    def __init__(self, app: ASGIApp, *, max_count: int, max_bytes: int) -> None:
        self.app = app
        self.max_count = max_count
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            size = sum(len(name) + len(value) for name, value in headers)
            if len(headers) > self.max_count or size > self.max_bytes:
                await _refuse(
                    scope,
                    send,
                    431,
                    f"The request sends {len(headers)} header lines of {size} bytes; at most "
                    f"{self.max_count} lines and {self.max_bytes} bytes are accepted.",
                )
                return
        await self.app(scope, receive, send)


class BodySizeLimit:
    """ASGI middleware: a request goes on only once its whole body has arrived.

    The limit is the route's, never the client's say: the upload routes take spreadsheets up to
    `upload_limit`, every other route `json_limit` (413 above, whatever the framing or the
    content type). A body that has not arrived `deadline` seconds after the headers gets 408.
    Either way the connection is closed. Admission (`app.http.admission`), a worker thread and a
    database connection are only ever held by a request whose body is in hand, so clients that
    trickle bytes hold nothing the database work needs.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        json_limit: int,
        upload_limit: int,
        deadline: float,
    ) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit
        self.deadline = deadline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if b"content-length" not in headers and b"transfer-encoding" not in headers:
            # HTTP/1.1 framing: a request with neither header has no body to wait for.
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if takes_files(scope["path"]) else self.json_limit
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, 413, f"The request body exceeds the limit of {limit} bytes.")
            return

        chunks: list[bytes] = []
        received = 0
        with anyio.move_on_after(self.deadline) as waited:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    await _refuse(
                        scope, send, 413, f"The request body exceeds the limit of {limit} bytes."
                    )
                    return
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
        if waited.cancelled_caught:
            await _refuse(
                scope,
                send,
                408,
                f"The request body did not arrive within {self.deadline:g} seconds "
                f"({received} bytes came); send it again.",
            )
            return

        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            # After the body, all a client can still send is its disconnect.
            return await receive()

        await self.app(scope, replay, send)


_TITLES = {408: "Request Timeout", 413: "Content Too Large", 431: "Request Header Fields Too Large"}


async def _refuse(scope: Scope, send: Send, status: int, detail: str) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": _TITLES[status],
            "status": status,
            "detail": detail,
            "instance": scope.get("path", ""),
            "request_id": current_request_id(),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
