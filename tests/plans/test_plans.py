"""Annual plans: create, read, adjust mid-year with the original kept, and who may do what."""

import pytest
from sqlmodel import select

from app.models import PlanRevision, Project, ProjectYear
from tests import factories

OTHER = "INF-015"  # park lvshun
PLAN = {"planned_investment_wan": 12000, "target": "主体封顶", "planned_start": True}
ADJUSTED = {
    **PLAN,
    "planned_investment_wan": 9000,
    "reason": "设备采购延后",
    "document": "大园区发〔2026〕12号",
    "document_date": "2026-07-15",
}


def url(code: str, year: int = 2026) -> str:
    return f"/api/v1/projects/{code}/plans/{year}"


@pytest.fixture
def own(session) -> str:
    """A project of park gaoxin, the officer's own, made for the test."""
    return factories.project(session).code


@pytest.fixture
def planner(auth):
    return auth("planner")


@pytest.fixture
def admin(auth):
    return auth("admin")


def test_create_then_read(client, planner, auth, own):
    created = client.put(url(own), json=PLAN, headers=planner)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == url(own)
    body = created.json()
    assert body["revision"] == 1
    assert body["adjusted"] is False
    assert body["planned_investment_wan"] == 12000
    assert body["planned_start"] is True
    assert body["history"][0]["changed_by"] == "test-planner"
    read = client.get(url(own), headers=auth("officer", "gaoxin"))
    assert read.status_code == 200
    assert read.headers["etag"] == created.headers["etag"]
    assert read.json() == body
    listed = client.get(f"/api/v1/projects/{own}/plans", headers=planner).json()
    assert listed["total"] == 1
    assert listed["items"][0]["year"] == 2026


def test_adjustment_keeps_the_original(client, planner, session, own):
    client.put(url(own), json=PLAN, headers=planner)
    adjusted = client.put(url(own), json=ADJUSTED, headers=planner)
    assert adjusted.status_code == 200, adjusted.text
    body = adjusted.json()
    assert body["revision"] == 2
    assert body["adjusted"] is True
    assert body["planned_investment_wan"] == 9000
    first, second = body["history"]
    assert first["planned_investment_wan"] == 12000
    assert first["reason"] == ""
    assert second["reason"] == "设备采购延后"
    assert second["document"] == "大园区发〔2026〕12号"
    assert second["document_date"] == "2026-07-15"
    project = session.exec(select(Project).where(Project.code == own)).one()
    revisions = session.exec(
        select(PlanRevision).where(PlanRevision.project_id == project.id)
    ).all()
    assert sorted(r.revision for r in revisions) == [1, 2]
    year = session.exec(
        select(ProjectYear).where(ProjectYear.project_id == project.id, ProjectYear.year == 2026)
    ).one()
    assert (year.plan_revision, year.planned_investment_wan) == (2, 9000)


def test_adjustment_without_reason_or_document_is_422(client, planner, own):
    client.put(url(own), json=PLAN, headers=planner)
    response = client.put(url(own), json={**PLAN, "target": "竣工"}, headers=planner)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert {tuple(e["loc"]) for e in response.json()["errors"]} == {
        ("body", "reason"),
        ("body", "document"),
    }
    assert client.get(url(own), headers=planner).json()["target"] == "主体封顶"


def test_identical_put_is_a_no_op(client, planner, own):
    first = client.put(url(own), json=PLAN, headers=planner)
    again = client.put(url(own), json=PLAN, headers=planner)
    assert again.status_code == 200
    assert again.headers["etag"] == first.headers["etag"]
    assert again.json()["revision"] == 1


def test_if_match_is_honoured(client, planner, own):
    etag = client.put(url(own), json=PLAN, headers=planner).headers["etag"]
    stale = client.put(url(own), json=ADJUSTED, headers={**planner, "If-Match": '"plan-x-v9"'})
    assert stale.status_code == 412
    fresh = client.put(url(own), json=ADJUSTED, headers={**planner, "If-Match": etag})
    assert fresh.status_code == 200, fresh.text
    again = client.put(
        url(own), json={**ADJUSTED, "target": "x"}, headers={**planner, "If-Match": etag}
    )
    assert again.status_code == 412
    assert (
        client.put(
            url(own, year=2027), json=PLAN, headers={**planner, "If-Match": etag}
        ).status_code
        == 412
    )


def test_plan_fills_a_year_row_reports_made(client, planner, session):
    project = factories.project(session)
    factories.report(session, project.code, as_of="2026-10-31")
    assert (
        session.exec(select(ProjectYear).where(ProjectYear.project_id == project.id))
        .one()
        .plan_revision
        == 0
    )
    response = client.put(url(project.code), json=PLAN, headers=planner)
    assert response.status_code == 201, response.text
    rows = session.exec(select(ProjectYear).where(ProjectYear.project_id == project.id)).all()
    assert [(r.year, r.plan_revision, r.version) for r in rows] == [(2026, 1, 2)]


def test_year_outside_construction_years_is_accepted(client, planner, session):
    project = factories.project(session, start_year=2026, end_year=2027)
    assert client.put(url(project.code, 2030), json=PLAN, headers=planner).status_code == 201


@pytest.mark.parametrize("year", [1999, 2101, "soon"])
def test_bad_year_is_422(client, planner, year, own):
    response = client.put(f"/api/v1/projects/{own}/plans/{year}", json=PLAN, headers=planner)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["path", "year"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**PLAN, "planned_investment_wan": -1}, "planned_investment_wan"),
        ({**PLAN, "planned_investment_wan": True}, "planned_investment_wan"),
        ({**PLAN, "target": "主体\x07封顶"}, "target"),
        ({**PLAN, "reason": "\x1b[31m"}, "reason"),
        ({**PLAN, "colour": "red"}, "colour"),
    ],
)
def test_bad_body_is_422_and_stores_nothing(client, planner, body, field, own):
    response = client.put(url(own), json=body, headers=planner)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == field
    assert client.get(url(own), headers=planner).status_code == 404


def test_formula_text_is_stored_as_typed(client, planner, own):
    for text in ("=1+1", "+86", "-", "@SUM(A1)"):
        body = {**PLAN, "target": text, "reason": "调整", "document": "文1"}
        assert client.put(url(own), json=body, headers=planner).status_code in (200, 201)
        assert client.get(url(own), headers=planner).json()["target"] == text


def test_unknown_project_is_404(client, planner, own):
    assert client.put(url("INF-999"), json=PLAN, headers=planner).status_code == 404
    assert client.get(url("INF-999"), headers=planner).status_code == 404
    assert client.get(url(own), headers=planner).status_code == 404  # no plan for the year


def test_archived_project_is_409(client, admin, own):
    etag = client.get(f"/api/v1/projects/{own}", headers=admin).headers["etag"]
    client.post(f"/api/v1/projects/{own}/archive", headers={**admin, "If-Match": etag})
    response = client.put(url(own), json=PLAN, headers=admin)
    assert response.status_code == 409
    assert "archived" in response.json()["detail"]


@pytest.mark.parametrize(
    ("role", "park", "code", "read", "write"),
    [
        ("admin", None, OTHER, 200, 201),
        ("planner", None, OTHER, 200, 201),
        ("officer", "gaoxin", "own", 200, 403),  # "own": the test's project of park gaoxin
        ("officer", "gaoxin", OTHER, 403, 403),
    ],
)
def test_who_reads_and_writes_plans(client, auth, admin, own, role, park, code, read, write):
    code = own if code == "own" else code
    headers = auth(role, park)
    response = client.put(url(code), json=PLAN, headers=headers)
    assert response.status_code == write, response.text
    if write == 403:
        client.put(url(code), json=PLAN, headers=admin)
    assert client.get(url(code), headers=headers).status_code == read
    assert client.get(f"/api/v1/projects/{code}/plans", headers=headers).status_code == read
    if read == 403:
        assert "not for it" in client.get(url(code), headers=headers).json()["detail"]
