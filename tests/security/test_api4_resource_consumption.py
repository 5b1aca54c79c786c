"""API4:2023 Unrestricted resource consumption: page, body, upload and row caps, streamed
exports, and per-token rate limits on writes and exports (429 with Retry-After)."""

import socket
import uuid

import pytest
from pydantic import ValidationError
from sqlmodel import func, select

from app.config import Settings, get_settings
from app.exports.writers import Column, Table, csv_chunks
from app.http.rate_limits import RateLimiter
from app.models import ProgressEntry
from app.spreadsheets.workbook import MAX_DATA_ROWS
from tests import factories

REPORT = {"as_of": "2026-10-31", "status": "under_construction", "percent_complete": 40}
UPLOAD_HEADER = (
    "项目编号,项目名称,报告日期,项目状态,完成百分比（%）,累计完成投资（万元）,形象进度,存在问题"
)
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def code(session) -> str:
    """A project of park gaoxin (the officers' default park) made for the test."""
    return factories.project(session).code


def _entries(session):
    return session.exec(select(func.count()).select_from(ProgressEntry)).one()


def _limiter(writes="2/minute", exports="2/minute", storage_url="memory://", namespace=None):
    return RateLimiter(
        storage_url=storage_url,
        writes=writes,
        exports=exports,
        namespace=namespace or f"test-{uuid.uuid4().hex}",
    )


def _assert_429(response):
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert 1 <= int(response.headers["retry-after"]) <= 60
    body = response.json()
    assert body["status"] == 429
    assert "allowance" in body["detail"]


# Caps on what one request may ask for or send.


def test_page_size_is_capped(client, auth):
    assert client.get("/api/v1/projects?limit=500", headers=auth()).status_code == 200
    response = client.get("/api/v1/projects?limit=501", headers=auth())
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "limit"]


def test_json_body_is_capped(client, auth, session, code):
    before = _entries(session)
    padding = "x" * get_settings().max_json_body_bytes
    response = client.post(
        f"/api/v1/projects/{code}/progress",
        json={**REPORT, "note": padding},
        headers=auth("officer"),
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert _entries(session) == before


def test_upload_size_is_capped(client, auth, session):
    before = _entries(session)
    big = b"x" * (get_settings().max_upload_bytes + 1)
    response = client.post(
        "/api/v1/progress-uploads",
        files={"file": ("report.csv", big, "text/csv")},
        headers=auth("officer"),
    )
    assert response.status_code == 413
    assert _entries(session) == before


def test_upload_rows_are_capped(client, auth, session, code):
    before = _entries(session)
    row = f"{code},,2026-10-31,在建,40,,,"
    text = "\r\n".join([UPLOAD_HEADER, *[row] * (MAX_DATA_ROWS + 1)]).encode()
    response = client.post(
        "/api/v1/progress-uploads",
        files={"file": ("report.csv", text, "text/csv")},
        headers=auth("officer"),
    )
    assert response.status_code == 422
    assert f"more than {MAX_DATA_ROWS} data rows" in response.json()["detail"]
    assert _entries(session) == before


def test_csv_export_pulls_rows_lazily():
    pulled = 0

    def rows():
        nonlocal pulled
        for n in range(2000):
            pulled += 1
            yield [n]

    chunks = csv_chunks(Table(title="t", columns=[Column("n")], rows=rows()))
    next(chunks)
    # The first chunk leaves after one batch: memory holds a batch, never the whole export.
    assert pulled < 2000
    assert sum(1 for _ in chunks) >= 3


def test_exports_stream_without_a_content_length(client, auth):
    with client.stream("GET", "/api/v1/projects?format=csv&limit=1", headers=auth()) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        lines = b"".join(response.iter_bytes()).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 178 + 1  # header, every match (limit pages JSON only), totals


# Rate limits per token.


def test_writes_over_the_limit_get_429_and_store_nothing(make_client, token_for, session, code):
    client = make_client(_limiter(writes="2/minute"))
    headers = {"Authorization": f"Bearer {token_for('officer')}"}
    url = f"/api/v1/projects/{code}/progress"
    for day in ("2026-10-30", "2026-10-31"):
        assert client.post(url, json={**REPORT, "as_of": day}, headers=headers).status_code == 201
    before = _entries(session)
    _assert_429(client.post(url, json=REPORT, headers=headers))
    assert _entries(session) == before
    # Reads are not limited.
    assert client.get(f"/api/v1/projects/{code}", headers=headers).status_code == 200


def test_refused_writes_count_too(make_client, auth):
    # A token probing what it may not do spends its allowance like any writer.
    client = make_client(_limiter(writes="1/minute"))
    planner = auth("planner")
    assert client.post("/api/v1/parks", json={}, headers=planner).status_code == 403
    _assert_429(client.post("/api/v1/parks", json={}, headers=planner))


def test_each_token_has_its_own_allowance(make_client, auth, code):
    client = make_client(_limiter(writes="1/minute"))
    first, second = auth("admin"), auth("admin")
    url = f"/api/v1/projects/{code}/progress"
    assert client.post(url, json=REPORT, headers=first).status_code == 201
    _assert_429(client.post(url, json=REPORT, headers=first))
    assert (
        client.post(url, json={**REPORT, "as_of": "2026-10-30"}, headers=second).status_code == 201
    )


def test_requests_without_a_token_are_401_not_counted(make_client, auth):
    client = make_client(_limiter(writes="1/minute"))
    for _ in range(3):
        assert client.post("/api/v1/parks", json={}).status_code == 401
    assert client.post("/api/v1/parks", json={}, headers=auth("admin")).status_code == 422


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/v1/projects?format=csv", {}),
        ("/api/v1/projects?format=xlsx", {}),
        ("/api/v1/rollups?by=park", {"Accept": "text/csv"}),
        ("/api/v1/reports/blockers?format=xlsx", {}),
        ("/api/v1/parks/gaoxin/report-template", {}),
    ],
)
def test_exports_over_the_limit_get_429(make_client, auth, path, headers):
    client = make_client(_limiter(exports="2/minute"))
    token = {**auth("officer"), **headers}
    for _ in range(2):
        assert client.get(path, headers=token).status_code == 200
    _assert_429(client.get(path, headers=token))
    # The JSON answer of the same operation is a read, not an export.
    json_path = path.split("?")[0] + ("?by=park" if "rollups" in path else "")
    if "report-template" not in path:
        assert client.get(json_path, headers=auth("officer")).status_code == 200


def test_uploads_count_as_exports(make_client, token_for, session, code):
    client = make_client(_limiter(writes="100/minute", exports="1/minute"))
    headers = {"Authorization": f"Bearer {token_for('officer')}"}
    text = f"{UPLOAD_HEADER}\r\n{code},,2026-10-31,在建,40,,主体施工,\r\n".encode()
    files = {"file": ("report.csv", text, "text/csv")}
    url = "/api/v1/progress-uploads?dry_run=true"
    assert client.post(url, files=files, headers=headers).status_code == 200
    _assert_429(client.post(url, files=files, headers=headers))


def test_limits_and_storage_come_from_settings(monkeypatch, make_client, auth):
    monkeypatch.setenv("RATE_LIMIT_WRITES", "1/hour")
    monkeypatch.setenv("RATE_LIMIT_EXPORTS", "5/second")
    get_settings.cache_clear()
    try:
        client = make_client()
    finally:
        get_settings.cache_clear()
    limiter = client.app.state.rate_limiter
    assert str(limiter.limits["writes"]) == "1 per 1 hour"
    assert str(limiter.limits["exports"]) == "5 per 1 second"
    admin = auth("admin")
    assert client.post("/api/v1/parks", json={}, headers=admin).status_code == 422
    response = client.post("/api/v1/parks", json={}, headers=admin)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 3500


@pytest.mark.parametrize("value", ["lots", "120 per fortnight", ""])
def test_a_bad_limit_setting_is_refused(monkeypatch, value):
    monkeypatch.setenv("RATE_LIMIT_WRITES", value)
    with pytest.raises(ValidationError, match="not a rate limit"):
        Settings()


def test_limiter_storage_down_lets_requests_through(make_client, auth, caplog):
    # Nothing listens on port 1: every count fails; the API keeps answering and says so.
    client = make_client(_limiter(writes="1/minute", storage_url="redis://127.0.0.1:1/0"))
    admin = auth("admin")
    for _ in range(2):
        assert client.post("/api/v1/parks", json={}, headers=admin).status_code == 422
    assert "rate limit storage unavailable" in caplog.text


def test_openapi_documents_429_on_limited_operations_only(client):
    paths = client.get("/openapi.json").json()["paths"]
    limited = {
        (method.upper(), path)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "429" in operation["responses"]
    }
    for method, path in limited:
        assert "Retry-After" in paths[path][method.lower()]["responses"]["429"]["headers"]
    writes = {
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if method in ("post", "patch", "put", "delete")
    }
    exports = {
        ("GET", "/api/v1/projects"),
        ("GET", "/api/v1/rollups"),
        ("GET", "/api/v1/rollups/series"),
        ("GET", "/api/v1/reports/reconciliation"),
        ("GET", "/api/v1/reports/compliance"),
        ("GET", "/api/v1/reports/changes"),
        ("GET", "/api/v1/reports/blockers"),
        ("GET", "/api/v1/blockers"),
        ("GET", "/api/v1/blockers/summary"),
        ("GET", "/api/v1/audit"),
        ("GET", "/api/v1/parks/{park_id}/report-template"),
        ("GET", "/api/v1/parks/{park_id}/plan-template"),
    }
    assert limited == writes | exports


def _redis_reachable():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_reachable(), reason="Redis is not reachable on 127.0.0.1:6379")
def test_two_app_instances_share_the_count_in_redis(make_client, token_for):
    namespace = f"test-{uuid.uuid4().hex}"
    first = make_client(_limiter(writes="3/minute", storage_url=REDIS_URL, namespace=namespace))
    second = make_client(_limiter(writes="3/minute", storage_url=REDIS_URL, namespace=namespace))
    assert first.app is not second.app
    headers = {"Authorization": f"Bearer {token_for('admin')}"}
    statuses = [
        client.post("/api/v1/parks", json={}, headers=headers).status_code
        for client in (first, second, first)
    ]
    assert statuses == [422, 422, 422]
    _assert_429(second.post("/api/v1/parks", json={}, headers=headers))
    _assert_429(first.post("/api/v1/parks", json={}, headers=headers))
