"""What the property-based tests (tests/security/test_fuzz.py) found, as plain regression tests."""

import re

import pytest
from sqlmodel import func, select

from app.main import create_app
from app.models import ProgressEntry, Project
from app.progress.idempotency import parse_key
from tests import factories
from tests.factories import NEW_PROJECT, REPORT


@pytest.fixture
def code(session) -> str:
    """A project of park gaoxin made for the test."""
    return factories.project(session).code


def _counts(session):
    return tuple(
        session.exec(select(func.count()).select_from(model)).one()
        for model in (ProgressEntry, Project)
    )


def test_numbers_are_not_booleans(client, session, auth, code):
    # `false` used to be stored as 0 and `true` as 1.
    before = _counts(session)
    response = client.post(
        "/api/v1/projects",
        json={**NEW_PROJECT, "total_investment_wan": False},
        headers=auth("admin"),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "total_investment_wan"]
    response = client.post(
        f"/api/v1/projects/{code}/progress",
        json={**REPORT, "percent_complete": True},
        headers=auth("officer", "gaoxin"),
    )
    assert response.status_code == 422
    assert _counts(session) == before


def test_update_schemas_do_not_offer_null(client):
    # The schemas offered null for every field of a PATCH; the service refuses it.
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("ParkUpdate", "ProjectUpdate"):
        for field, prop in schemas[name]["properties"].items():
            assert "null" not in str(prop), (name, field)
    bounds = schemas["ProjectUpdate"]["properties"]["start_year"]
    assert (bounds["minimum"], bounds["maximum"]) == (1949, 2100)


@pytest.mark.parametrize("query", ["park=", "park=gaoxin,", "status=,completed", "start_year="])
def test_empty_filter_values_are_refused_not_ignored(client, auth, query):
    # `?park=` used to be dropped, so the answer covered every park.
    response = client.get(
        f"/api/v1/reports/changes?from_date=2026-01-01&to_date=2026-02-01&{query}", headers=auth()
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][:1] == ["query"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reports/reconciliation?format=csv&forma=xlsx",
        "/api/v1/parks?tier=key",
        "/api/v1/projects/{code}?figure=official",
        "/api/v1/projects?parks=gaoxin",
    ],
)
def test_unknown_query_parameters_are_refused(client, session, auth, path):
    # A misspelt filter used to be ignored on some operations: the answer silently covered more.
    if "{code}" in path:
        path = path.format(code=factories.project(session).code)
    response = client.get(path, headers=auth())
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["type"] == "extra_forbidden"
    assert "Unknown query parameter" in body["detail"]


def test_known_query_parameters_still_work(client, auth, code):
    headers = auth()
    assert (
        client.get(f"/api/v1/projects/{code}?figures=official", headers=headers).status_code == 200
    )
    assert (
        client.get("/api/v1/reports/reconciliation?format=csv", headers=headers).status_code == 200
    )
    assert (
        client.get("/api/v1/projects?park=gaoxin&limit=2&sort=-code", headers=headers).status_code
        == 200
    )
    assert (
        client.get("/api/v1/rollups?by=park,category&figures=official", headers=headers).status_code
        == 200
    )


def test_broken_multipart_upload_is_422(client, auth, session):
    # It was an undocumented 400.
    before = _counts(session)
    response = client.post(
        "/api/v1/progress-uploads",
        content=b"--b\r\n[{}, {}]--b--\r\n",
        headers={**auth("officer", "gaoxin"), "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["type"] == "multipart_invalid"
    assert _counts(session) == before


@pytest.mark.parametrize(
    "key", ["k", "550e8400-e29b-41d4-a716-446655440000", "a key with spaces", "~" * 255]
)
def test_an_idempotency_key_the_document_allows_is_accepted(key):
    # The header was documented as any string; keys with control characters were refused.
    schema = _parameter("post", "/api/v1/projects/{code}/progress", "Idempotency-Key")
    assert re.fullmatch(schema["pattern"], key)
    assert parse_key(key) == key


@pytest.mark.parametrize("key", ["", " k", "k\x01", "é", '"quoted"', "k" * 256])
def test_an_idempotency_key_the_document_refuses_is_outside_the_pattern(key):
    schema = _parameter("post", "/api/v1/projects/{code}/progress", "Idempotency-Key")
    assert not re.fullmatch(schema["pattern"], key)


def _parameter(method, path, name):
    operation = create_app().openapi()["paths"][path][method]
    (parameter,) = [p for p in operation["parameters"] if p["name"] == name]
    return parameter["schema"]
