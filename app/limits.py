"""Refuse oversized request bodies (413) before anything parses them."""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logs import current_request_id
from app.problems import PROBLEM_JSON

# Uploads of spreadsheets are larger than any JSON body the API takes.
_UPLOAD_TYPES = ("multipart/form-data", "text/csv", "application/vnd.openxmlformats")


class BodySizeLimit:
    """ASGI middleware: a body over the limit gets 413 problem+json, whatever its framing."""

    def __init__(self, app: ASGIApp, *, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if b"content-length" not in headers and b"transfer-encoding" not in headers:
            # HTTP/1.1 framing: a request with neither header has no body to limit.
            await self.app(scope, receive, send)
            return
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit = self.upload_limit if content_type.startswith(_UPLOAD_TYPES) else self.json_limit
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, limit)
            return

        received = 0
        refused = False
        answered = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # Whatever the app made of the interrupted body (often a 400 "error parsing the
            # body"), the client is told the real reason.
            nonlocal answered
            if not refused:
                await send(message)
            elif message["type"] == "http.response.start" and not answered:
                answered = True
                await _refuse(scope, send, limit)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            if not answered:
                await _refuse(scope, send, limit)


class _TooLarge(Exception):
    pass


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Content Too Large",
            "status": 413,
            "detail": f"The request body exceeds the limit of {limit} bytes.",
            "instance": scope.get("path", ""),
            "request_id": current_request_id(),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
