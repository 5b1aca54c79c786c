"""API8:2023 Security misconfiguration: response headers, cache policy, CORS off unless
configured, and errors that never show stack traces or SQL."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from app.config import get_settings
from app.http.security_headers import API_POLICY, DOCS_POLICY
from app.main import create_app
from tests import factories
from tests.conftest import SessionClient

ORIGIN = "https://dashboard.example.gov.cn"


def _assert_hardened(response):
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/projects", 200),
        ("GET", "/api/v1/projects/NOPE-1", 404),
        ("GET", "/api/v1/projects?limit=0", 422),
        ("DELETE", "/api/v1/projects", 405),
        ("GET", "/nowhere", 404),
        ("GET", "/healthz", 200),
        ("GET", "/openapi.json", 200),
    ],
)
def test_every_answer_carries_the_security_headers(client, auth, method, path, status):
    response = client.request(method, path, headers=auth())
    assert response.status_code == status
    _assert_hardened(response)
    assert response.headers["content-security-policy"] == API_POLICY


def test_unauthenticated_and_oversized_answers_are_hardened_too(client, auth):
    _assert_hardened(client.get("/api/v1/projects"))
    big = client.post(
        "/api/v1/parks", content=b"{" + b" " * (70 * 1024) + b"}", headers=auth("admin")
    )
    assert big.status_code == 413
    _assert_hardened(big)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_may_load_their_scripts_but_not_be_framed(client, path):
    response = client.get(path)
    assert response.status_code == 200
    _assert_hardened(response)
    assert response.headers["content-security-policy"] == DOCS_POLICY


def test_authenticated_answers_are_not_stored_by_shared_caches(client, auth):
    headers = auth()
    listed = client.get("/api/v1/projects", headers=headers)
    assert listed.headers["cache-control"] == "no-store"
    exported = client.get("/api/v1/projects?format=csv", headers=headers)
    assert exported.headers["cache-control"] == "no-store"
    refused = client.get("/api/v1/projects/NOPE-1", headers=headers)
    assert refused.headers["cache-control"] == "no-store"
    # Answers with a validator may be kept by the client and revalidated: 304 saves the body.
    rollup = client.get("/api/v1/rollups?by=park", headers=headers)
    assert rollup.headers["cache-control"] == "private, no-cache"
    again = client.get(
        "/api/v1/rollups?by=park", headers={**headers, "If-None-Match": rollup.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.headers["cache-control"] == "private, no-cache"


def test_public_answers_keep_their_own_cache_policy(client):
    assert "cache-control" not in client.get("/healthz").headers


def test_cors_is_off_by_default(client, auth):
    assert get_settings().cors_origins == []
    response = client.get("/api/v1/parks", headers={**auth(), "Origin": ORIGIN})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/api/v1/parks",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers


@pytest.fixture
def cors_client(monkeypatch, serve_database, session):
    monkeypatch.setenv("CORS_ORIGINS", f"{ORIGIN},https://other.example")
    get_settings.cache_clear()
    try:
        app = create_app()
    finally:
        get_settings.cache_clear()
    with SessionClient(app, session, raise_server_exceptions=False) as client:
        yield client


def test_cors_answers_only_the_configured_origins(cors_client, auth, session):
    code = factories.project(session).code
    preflight = cors_client.options(
        f"/api/v1/projects/{code}/progress",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-credentials" not in preflight.headers
    response = cors_client.get("/api/v1/parks", headers={**auth(), "Origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "ETag" in response.headers["access-control-expose-headers"]

    stranger = cors_client.get(
        "/api/v1/parks", headers={**auth(), "Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in stranger.headers
    refused = cors_client.options(
        "/api/v1/parks",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert refused.status_code == 400


_LEAKS = ("Traceback", 'File "', "SELECT", "INSERT", "sqlalchemy", "psycopg", "sqlite3", "secret")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (RuntimeError("secret internals"), 500),
        (ProgrammingError("SELECT secret FROM api_token", {}, Exception("syntax")), 500),
        (IntegrityError("INSERT INTO park VALUES (secret)", {}, Exception("unique")), 500),
        (OperationalError("SELECT secret", {}, Exception("server closed the connection")), 503),
    ],
)
def test_forced_internal_errors_show_no_internals(error, status):
    app = create_app()

    @app.get("/api/v1/fail")
    def fail() -> None:
        raise error

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/fail")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.json()) <= {"type", "title", "status", "detail", "instance", "request_id"}
    for leak in _LEAKS:
        assert leak not in response.text


def test_the_service_does_not_run_in_debug_mode():
    assert create_app().debug is False
