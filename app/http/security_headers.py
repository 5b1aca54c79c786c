"""Security response headers on every answer, and CORS only where it is configured."""

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.http.docs import DOCS_PATHS

# The API answers JSON and files, never pages: nothing may load from it or frame it.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
# The documentation pages load Swagger UI and ReDoc from this service and start them with an
# inline script; ReDoc renders in a worker from a blob.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'"
)

CORS_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]
CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
]
CORS_EXPOSED_HEADERS = [
    "Content-Disposition",
    "ETag",
    "Idempotent-Replayed",
    "Location",
    "Retry-After",
]


# The same raw header lines on every answer, unless the answer set its own.
_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
_API_POLICY = (b"content-security-policy", API_POLICY.encode())
_DOCS_POLICY = (b"content-security-policy", DOCS_POLICY.encode())
_PRIVATE = (b"cache-control", b"private, no-cache")
_NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    """ASGI middleware: nosniff, no referrer, no framing and a cache policy for token data."""

    def __init__(self, app: ASGIApp, *, docs_paths: frozenset[str]) -> None:
        self.app = app
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = _DOCS_POLICY if scope["path"] in self.docs_paths else _API_POLICY
        authenticated = any(name == b"authorization" for name, _ in scope["headers"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [h for h in (*_ALWAYS, policy) if h[0] not in present]
                if authenticated and b"cache-control" not in present:
                    # What a token reads is for that token only. Answers with a validator may
                    # be kept privately and revalidated (304); the rest is not stored at all.
                    private = b"etag" in present or message["status"] == 304
                    headers.append(_PRIVATE if private else _NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI, settings: Settings) -> None:
    """Add the security headers to every answer and, if origins are configured, CORS."""
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            # Bearer tokens travel in a header, never in cookies: no credentials mode needed.
            allow_credentials=False,
            max_age=600,
        )
    app.add_middleware(SecurityHeaders, docs_paths=DOCS_PATHS)
