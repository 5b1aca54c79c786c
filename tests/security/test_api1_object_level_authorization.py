"""API1:2023 Broken object level authorization: an officer writes only its own park's
projects, objects are reached only through their owner, and ids cannot be swapped."""

import pytest
from sqlmodel import func, select

from app.models import ProgressEntry, Project
from tests import factories

OTHER = "INF-015"  # park lvshun
REPORT = {"as_of": "2026-10-31", "status": "under_construction", "percent_complete": 40}
UPLOAD_HEADER = (
    "项目编号,项目名称,报告日期,项目状态,完成百分比（%）,累计完成投资（万元）,形象进度,存在问题"
)


def _entries(session):
    return session.exec(select(func.count()).select_from(ProgressEntry)).one()


def _baseline(session, code):
    return session.exec(
        select(ProgressEntry.id)
        .join(Project)
        .where(Project.code == code, ProgressEntry.is_baseline)
    ).one()


@pytest.fixture
def officer(auth):
    return auth("officer", "gaoxin")


@pytest.fixture
def own(session) -> str:
    """A project of park gaoxin, the officer's, made for the test."""
    return factories.project(session).code


def test_officer_reports_on_its_own_park_only(client, session, officer, own):
    assert (
        client.post(f"/api/v1/projects/{own}/progress", json=REPORT, headers=officer).status_code
        == 201
    )
    before = _entries(session)
    response = client.post(f"/api/v1/projects/{OTHER}/progress", json=REPORT, headers=officer)
    assert response.status_code == 403
    assert "covers park 'gaoxin'" in response.json()["detail"]
    assert _entries(session) == before


def test_an_idempotency_key_cannot_replay_another_tokens_entry(client, session, auth, own):
    first = auth("officer", "gaoxin")
    second = auth("officer", "gaoxin")
    key = {"Idempotency-Key": "shared-key-2026-10"}
    stored = client.post(f"/api/v1/projects/{own}/progress", json=REPORT, headers={**first, **key})
    assert stored.status_code == 201
    again = client.post(
        f"/api/v1/projects/{own}/progress",
        json={**REPORT, "percent_complete": 41},
        headers={**second, **key},
    )
    # Keys belong to the token that sent them: the other token's report is its own entry.
    assert again.status_code == 201
    assert again.json()["id"] != stored.json()["id"]
    assert "idempotent-replayed" not in again.headers


def test_officer_uploads_only_its_own_park(client, session, officer, own):
    before = _entries(session)
    text = f"{UPLOAD_HEADER}\r\n{own},,2026-10-31,在建,40,,,\r\n{OTHER},,2026-10-31,在建,40,,,\r\n"
    response = client.post(
        "/api/v1/progress-uploads",
        files={"file": ("report.csv", text.encode(), "text/csv")},
        headers=officer,
    )
    assert response.status_code == 422
    problems = response.json()["errors"]
    assert [e["loc"][:2] for e in problems] == [["file", 3]]
    assert "lvshun" in problems[0]["msg"]
    assert _entries(session) == before


def test_officer_downloads_only_its_own_parks_template(client, officer, auth):
    assert client.get("/api/v1/parks/gaoxin/report-template", headers=officer).status_code == 200
    response = client.get("/api/v1/parks/lvshun/report-template", headers=officer)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    # Planners and admins fetch any park's template.
    assert client.get("/api/v1/parks/lvshun/report-template", headers=auth()).status_code == 200


def test_unknown_objects_are_404_before_ownership(client, officer):
    response = client.post("/api/v1/projects/INF-999/progress", json=REPORT, headers=officer)
    assert response.status_code == 404
    assert client.get("/api/v1/parks/atlantis/report-template", headers=officer).status_code == 404


@pytest.mark.parametrize("action", ["", "/approve", "/return"])
def test_an_entry_is_reached_only_through_its_own_project(client, session, auth, action, own):
    other_entry = _baseline(session, OTHER)
    method = "GET" if not action else "POST"
    body = {"comment": "请核实。"} if action == "/return" else None
    response = client.request(
        method,
        f"/api/v1/projects/{own}/progress/{other_entry}{action}",
        json=body,
        headers=auth("admin"),
    )
    assert response.status_code == 404
    assert f"{own} has no progress entry {other_entry}" in response.json()["detail"]
    assert session.get(ProgressEntry, other_entry).reviewed_at is None


def test_officers_read_the_whole_portfolio(client, officer):
    # Reading is open to every role by design: officers compare their park with the others.
    assert client.get(f"/api/v1/projects/{OTHER}", headers=officer).status_code == 200
    assert client.get(f"/api/v1/projects/{OTHER}/progress", headers=officer).status_code == 200


def test_a_token_bound_to_a_park_cannot_be_widened_by_the_request(client, session, officer):
    # Nothing in a request names the reporter or its park: they come from the token.
    before = _entries(session)
    url = f"/api/v1/projects/{OTHER}/progress"
    spoofed = client.post(url, json=REPORT, headers={**officer, "X-Park-Id": "lvshun"})
    assert spoofed.status_code == 403
    as_query = client.post(url, json=REPORT, headers=officer, params={"park": "lvshun"})
    assert as_query.status_code == 422  # an unknown query parameter
    as_body = client.post(url, json={**REPORT, "park_id": "lvshun"}, headers=officer)
    assert as_body.status_code == 422  # an unknown body field
    assert _entries(session) == before
