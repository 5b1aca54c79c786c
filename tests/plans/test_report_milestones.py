"""Actual milestone dates sent with a progress report: stored with it, or refused with it."""

from datetime import timedelta

from sqlmodel import func, select

from app import clock
from app.models import Milestone, ProgressEntry, Project
from tests import factories


def _report(client, code, headers, **body):
    return client.post(
        f"/api/v1/projects/{code}/progress", json={**factories.REPORT, **body}, headers=headers
    )


def _milestones(client, code, headers):
    items = client.get(f"/api/v1/projects/{code}/milestones", headers=headers).json()["items"]
    return {item["kind"]: item["actual_date"] for item in items}


def _starts(client, auth):
    totals = client.get(
        "/api/v1/rollups", params={"by": "park", "park": "gaoxin", "year": "2026"}, headers=auth()
    ).json()["totals"]
    return totals["planned_starts"], totals["actual_starts"]


def _counts(session, code):
    session.expire_all()
    project = session.exec(select(Project).where(Project.code == code)).one()
    entries = session.exec(select(func.count()).where(ProgressEntry.project_id == project.id)).one()
    marks = session.exec(select(func.count()).where(Milestone.project_id == project.id)).one()
    return project, entries, marks


def test_a_report_carries_the_start_and_the_project_follows(client, auth, session):
    code = factories.project(session).code
    officer = auth("officer", park_id="gaoxin")
    plan = client.put(
        f"/api/v1/projects/{code}/plans/2026",
        json={"planned_investment_wan": 100, "target": "开工建设", "planned_start": True},
        headers=auth("planner"),
    )
    assert plan.status_code in (200, 201), plan.text
    starts_before = _starts(client, auth)
    response = _report(
        client,
        code,
        officer,
        as_of="2026-10-31",
        status="under_construction",
        milestones={"filing": "2026-01-15", "permits": "2026-02-20", "start": "2026-03-01"},
    )
    assert response.status_code == 201, response.text
    assert _milestones(client, code, officer) == {
        "filing": "2026-01-15",
        "permits": "2026-02-20",
        "start": "2026-03-01",
        "completion": None,
        "operation": None,
    }
    project, entries, marks = _counts(session, code)
    assert (str(project.started_on), project.completed_on, entries, marks) == (
        "2026-03-01",
        None,
        1,
        3,
    )
    # The year's rollup counts the start against the plan.
    assert _starts(client, auth) == (starts_before[0], starts_before[1] + 1)


def test_a_completion_needs_a_completed_status_and_nothing_is_stored(client, auth, session):
    code = factories.project(session).code
    officer = auth("officer", park_id="gaoxin")
    response = _report(
        client,
        code,
        officer,
        status="under_construction",
        milestones={"start": "2026-03-01", "completion": "2026-09-30"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    assert (error["loc"], error["type"]) == (
        ["body", "milestones", "completion"],
        "milestone_contradicts_status",
    )
    # All or nothing: neither the report nor the start it carried is stored.
    project, entries, marks = _counts(session, code)
    assert (project.started_on, entries, marks) == (None, 0, 0)


def test_dates_against_the_report_and_the_stored_ones(client, auth, session):
    code = factories.project(session).code
    planner, officer = auth("planner"), auth("officer", park_id="gaoxin")
    client.put(
        f"/api/v1/projects/{code}/milestones/permits",
        json={"actual_date": "2026-04-10"},
        headers=planner,
    )
    after_report = _report(
        client, code, officer, as_of="2026-05-31", milestones={"start": "2026-06-02"}
    )
    assert [e["type"] for e in after_report.json()["errors"]] == ["milestone_after_report"]
    before_permits = _report(
        client, code, officer, as_of="2026-05-31", milestones={"start": "2026-04-01"}
    )
    assert [e["type"] for e in before_permits.json()["errors"]] == ["milestone_order"]
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    future = _report(client, code, officer, milestones={"start": tomorrow})
    assert future.status_code == 422
    unknown = _report(client, code, officer, milestones={"groundbreaking": "2026-04-01"})
    assert unknown.status_code == 422
    assert _report(client, code, officer, milestones={"start": "2026-04-20"}).status_code == 201


def test_a_completed_report_with_its_dates_counts_as_completed(client, auth, session):
    code = factories.project(session).code
    planner, officer = auth("planner"), auth("officer", park_id="gaoxin")
    response = _report(
        client,
        code,
        officer,
        status="completed",
        percent_complete=100,
        milestones={"start": "2026-03-01", "completion": "2026-10-20"},
    )
    assert response.status_code == 201, response.text
    project, _, _ = _counts(session, code)
    assert (str(project.started_on), str(project.completed_on)) == ("2026-03-01", "2026-10-20")
    # Clearing the completion of a completed project through the milestone API is refused.
    cleared = client.put(
        f"/api/v1/projects/{code}/milestones/completion",
        json={"actual_date": None},
        headers=planner,
    )
    assert cleared.status_code == 422


def test_the_same_report_replays_with_its_milestones(client, auth, session):
    code = factories.project(session).code
    headers = {**auth("officer", park_id="gaoxin"), "Idempotency-Key": "report-with-start"}
    first = _report(client, code, headers, milestones={"start": "2026-03-01"})
    again = _report(client, code, headers, milestones={"start": "2026-03-01"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    other = _report(client, code, headers, milestones={"start": "2026-03-02"})
    assert other.status_code == 422
