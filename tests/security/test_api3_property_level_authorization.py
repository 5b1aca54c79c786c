"""API3:2023 Broken object property level authorization: read-only and unknown fields sent
to a write are refused with 422 (every request schema forbids extra fields), nothing changes,
and answers expose no secret property."""

import pytest
from sqlmodel import func, select

from app.models import ApiToken, Park, ProgressEntry, Project
from tests import factories
from tests.factories import NEW_PROJECT, REPORT


@pytest.fixture
def code(session) -> str:
    """A project of park gaoxin made for the test."""
    return factories.project(session).code


def _snapshot(session, code):
    project = session.exec(select(Project).where(Project.code == code)).one()
    park = session.get(Park, "gaoxin")
    return (
        project.model_dump(),
        park.model_dump(),
        session.exec(select(func.count()).select_from(ProgressEntry)).one(),
        session.exec(select(func.count()).select_from(Project)).one(),
    )


def _assert_refused(response, field):
    assert response.status_code == 422, response.text
    assert ["body", field] in [e["loc"] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "INF-999"),
        ("version", 99),
        ("status", "completed"),
        ("archived_at", "2026-01-01T00:00:00Z"),
        ("id", 1),
        ("seq", 1),
        ("category", "innovation"),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("updated_at", "2020-01-01T00:00:00Z"),
        ("latest_progress", None),
    ],
)
def test_patch_project_refuses_readonly_fields(client, session, auth, field, value, code):
    admin = auth("admin")
    etag = client.get(f"/api/v1/projects/{code}", headers=admin).headers["etag"]
    before = _snapshot(session, code)
    response = client.patch(
        f"/api/v1/projects/{code}",
        json={"name": "改名", field: value},
        headers={**admin, "If-Match": etag},
    )
    _assert_refused(response, field)
    assert _snapshot(session, code) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "other"),
        ("version", 9),
        ("archived_at", "2026-01-01T00:00:00Z"),
        ("project_count", 0),
    ],
)
def test_patch_park_refuses_readonly_fields(client, session, auth, field, value, code):
    admin = auth("admin")
    etag = client.get("/api/v1/parks/gaoxin", headers=admin).headers["etag"]
    before = _snapshot(session, code)
    response = client.patch(
        "/api/v1/parks/gaoxin",
        json={"tier": "key", field: value},
        headers={**admin, "If-Match": etag},
    )
    _assert_refused(response, field)
    assert _snapshot(session, code) == before


@pytest.mark.parametrize(
    ("field", "value"), [("code", "INN-001"), ("status", "completed"), ("seq", 1)]
)
def test_create_project_refuses_assigned_fields(client, session, auth, field, value, code):
    before = _snapshot(session, code)
    response = client.post(
        "/api/v1/projects", json={**NEW_PROJECT, field: value}, headers=auth("admin")
    )
    _assert_refused(response, field)
    assert _snapshot(session, code) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reporter_name", "someone else"),
        ("reporter_role", "admin"),
        ("review_state", "approved"),
        ("revision", 7),
        ("is_baseline", True),
        ("id", 1),
        ("received_at", "2020-01-01T00:00:00Z"),
        ("project_code", "INF-015"),
    ],
)
def test_progress_report_refuses_server_fields(client, session, auth, field, value, code):
    before = _snapshot(session, code)
    response = client.post(
        f"/api/v1/projects/{code}/progress",
        json={**REPORT, field: value},
        headers=auth("officer", "gaoxin"),
    )
    _assert_refused(response, field)
    assert _snapshot(session, code) == before


def test_answers_expose_no_token_material(client, session, auth, code):
    headers = auth("admin")
    secret = headers["Authorization"].removeprefix("Bearer ")
    digests = {t.token_hash for t in session.exec(select(ApiToken)).all()}
    stored = client.post(f"/api/v1/projects/{code}/progress", json=REPORT, headers=headers)
    assert stored.status_code == 201
    for path in (f"/api/v1/projects/{code}/progress", f"/api/v1/projects/{code}"):
        text = client.get(path, headers=headers).text
        assert secret not in text
        assert not any(digest in text for digest in digests)
    assert "token" not in str(stored.json()).lower()
