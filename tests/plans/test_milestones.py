"""Milestones: dates in life-cycle order, none in the future, and the status following them."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from app import clock
from app.models import MilestoneKind, Project, ProjectStatus
from app.plans import milestones
from tests import factories


def url(code: str, kind: str = "") -> str:
    return f"/api/v1/projects/{code}/milestones" + (f"/{kind}" if kind else "")


@pytest.fixture
def planner(auth):
    return auth("planner")


@pytest.fixture
def new(session):
    """A new project in gaoxin, pre-construction."""
    return factories.project(session).code


def _project(session, code):
    session.expire_all()
    return session.exec(select(Project).where(Project.code == code)).one()


def test_list_has_five_kinds_in_order_with_names(client, planner, new):
    response = client.get(url(new), headers=planner)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["kind"] for i in items] == ["filing", "permits", "start", "completion", "operation"]
    assert [i["name"] for i in items] == ["备案/核准", "要件办理完成", "开工", "竣工验收", "投产"]
    assert all(i["actual_date"] is None and not i["late"] for i in items)


def test_planned_date_passed_is_late(client, planner, new):
    past = (clock.today() - timedelta(days=3)).isoformat()
    response = client.put(url(new, "filing"), json={"planned_date": past}, headers=planner)
    assert response.status_code == 200, response.text
    assert response.json()["late"] is True
    done = client.put(url(new, "filing"), json={"actual_date": past}, headers=planner).json()
    assert (done["late"], done["planned_date"], done["actual_date"]) == (False, past, past)
    assert done["recorded_at"] is not None


def test_field_left_out_keeps_its_value_and_null_clears(client, planner, new):
    client.put(url(new, "filing"), json={"planned_date": "2026-01-10"}, headers=planner)
    kept = client.put(url(new, "filing"), json={"actual_date": "2026-01-12"}, headers=planner)
    assert kept.json()["planned_date"] == "2026-01-10"
    cleared = client.put(url(new, "filing"), json={"planned_date": None}, headers=planner).json()
    assert (cleared["planned_date"], cleared["actual_date"]) == (None, "2026-01-12")


def test_future_actual_date_is_422(client, planner, new):
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    response = client.put(url(new, "filing"), json={"actual_date": tomorrow}, headers=planner)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["loc"] == ["body", "actual_date"]
    assert error["type"] == "date_in_future"
    # A planned date may lie ahead.
    assert (
        client.put(url(new, "filing"), json={"planned_date": tomorrow}, headers=planner).status_code
        == 200
    )


def test_actual_dates_follow_the_life_cycle(client, planner, new):
    assert (
        client.put(
            url(new, "permits"), json={"actual_date": "2026-03-01"}, headers=planner
        ).status_code
        == 200
    )
    early = client.put(url(new, "filing"), json={"actual_date": "2026-03-05"}, headers=planner)
    assert early.status_code == 422
    body = early.json()
    assert body["errors"][0]["type"] == "milestone_order"
    assert "permits" in body["detail"]
    assert (
        client.put(
            url(new, "filing"), json={"actual_date": "2026-03-01"}, headers=planner
        ).status_code
        == 200
    )
    # Only dates present are compared: operation without a completion date is fine.
    assert (
        client.put(
            url(new, "operation"), json={"actual_date": "2026-04-01"}, headers=planner
        ).status_code
        == 200
    )
    later = client.put(url(new, "permits"), json={"actual_date": "2026-04-02"}, headers=planner)
    assert later.status_code == 422
    assert "operation" in later.json()["errors"][0]["msg"]


def test_a_planner_cannot_start_a_project_the_park_has_not_reported_started(
    client, planner, new, session
):
    response = client.put(url(new, "start"), json={"actual_date": "2026-05-01"}, headers=planner)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["type"] == "milestone_contradicts_status"
    assert "park's progress reports" in response.json()["detail"]
    assert _project(session, new).started_on is None
    assert client.get(url(new), headers=planner).json()["items"][2]["actual_date"] is None
    # A planned start is no status and is stored.
    assert (
        client.put(
            url(new, "start"), json={"planned_date": "2026-05-01"}, headers=planner
        ).status_code
        == 200
    )


def test_the_status_follows_an_officers_start_and_completion(client, auth, new, session):
    officer = auth("officer", "gaoxin")
    factories.report(
        session,
        new,
        status="pre_construction",
        as_of="2026-03-31",
        percent_complete=None,
        invested_to_date_wan=40,
    )
    started = client.put(
        url(new, "start"),
        json={"planned_date": "2026-04-01", "actual_date": "2026-04-10"},
        headers=officer,
    )
    assert started.status_code == 200, started.text
    assert (started.json()["planned_date"], started.json()["actual_date"]) == (
        "2026-04-01",
        "2026-04-10",
    )
    project = _project(session, new)
    assert (project.status, project.started_on) == ("under_construction", date(2026, 4, 10))
    history = client.get(f"/api/v1/projects/{new}/progress", headers=officer).json()["items"]
    newest = history[0]
    assert (newest["as_of"], newest["status"], newest["invested_to_date_wan"]) == (
        "2026-04-10",
        "under_construction",
        40,
    )
    assert newest["note"] == "开工：2026-04-10。"
    done = client.put(url(new, "completion"), json={"actual_date": "2026-09-30"}, headers=officer)
    assert done.status_code == 200, done.text
    project = _project(session, new)
    assert (project.status, project.percent_complete, project.completed_on) == (
        "completed",
        100,
        date(2026, 9, 30),
    )


def test_a_start_before_a_later_report_of_pre_construction_is_422(client, auth, new, session):
    factories.report(
        session, new, status="pre_construction", as_of="2026-10-31", percent_complete=None
    )
    response = client.put(
        url(new, "start"), json={"actual_date": "2026-05-01"}, headers=auth("officer", "gaoxin")
    )
    assert response.status_code == 422
    assert "2026-10" in response.json()["detail"]
    assert _project(session, new).started_on is None


def test_completion_before_completed_status_needs_the_parks_report(client, planner, new, session):
    factories.report(session, new, status="under_construction", as_of="2026-10-31")
    response = client.put(
        url(new, "completion"), json={"actual_date": "2026-10-30"}, headers=planner
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "milestone_contradicts_status"


def test_started_on_and_completed_on_follow_the_dates(client, planner, new, session):
    factories.report(session, new, status="under_construction", as_of="2026-10-31")
    assert (
        client.put(
            url(new, "start"), json={"actual_date": "2026-05-01"}, headers=planner
        ).status_code
        == 200
    )
    assert _project(session, new).started_on == date(2026, 5, 1)
    client.put(url(new, "start"), json={"actual_date": "2026-05-03"}, headers=planner)
    assert _project(session, new).started_on == date(2026, 5, 3)
    factories.report(
        session,
        new,
        status="completed",
        percent_complete=100,
        as_of="2026-11-30",
        reason="竣工验收日期随后补录。",
    )
    done = client.put(url(new, "completion"), json={"actual_date": "2026-11-20"}, headers=planner)
    assert done.status_code == 200, done.text
    project = _project(session, new)
    assert (project.started_on, project.completed_on) == (date(2026, 5, 3), date(2026, 11, 20))
    # A completed project keeps its start and completion dates.
    cleared = client.put(url(new, "start"), json={"actual_date": None}, headers=planner)
    assert cleared.status_code == 422
    assert cleared.json()["errors"][0]["type"] == "milestone_cleared"
    assert _project(session, new).started_on == date(2026, 5, 3)


def test_completion_of_cancelled_project_is_422(client, planner, new, session):
    factories.report(session, new, status="cancelled", as_of="2026-10-31")
    response = client.put(
        url(new, "completion"), json={"actual_date": "2026-10-01"}, headers=planner
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "milestone_contradicts_status"


def test_unknown_kind_and_project(client, planner, new):
    assert client.put(url(new, "groundbreaking"), json={}, headers=planner).status_code == 422
    assert client.put(url("INF-999", "filing"), json={}, headers=planner).status_code == 404
    assert client.get(url("INF-999"), headers=planner).status_code == 404


def test_archived_project_is_409(client, auth, new):
    admin = auth("admin")
    etag = client.get(f"/api/v1/projects/{new}", headers=admin).headers["etag"]
    client.post(f"/api/v1/projects/{new}/archive", headers={**admin, "If-Match": etag})
    assert (
        client.put(
            url(new, "filing"), json={"actual_date": "2026-01-01"}, headers=admin
        ).status_code
        == 409
    )


@pytest.mark.parametrize(
    ("role", "park", "status"),
    [
        ("admin", None, 200),
        ("planner", None, 200),
        ("officer", "gaoxin", 200),
        ("officer", "lvshun", 403),
    ],
)
def test_who_writes_milestones(client, auth, new, role, park, status):
    headers = auth(role, park)
    response = client.put(url(new, "filing"), json={"actual_date": "2026-01-05"}, headers=headers)
    assert response.status_code == status, response.text
    # Everyone reads milestones, as they read progress.
    assert client.get(url(new), headers=headers).status_code == 200


def test_report_check_is_pure_and_names_each_problem():
    today = date(2026, 6, 1)
    ok = milestones.check_report_milestones(
        ProjectStatus.under_construction,
        {MilestoneKind.start: date(2026, 5, 1)},
        {},
        as_of=today,
        today=today,
    )
    assert ok == []
    errors = milestones.check_report_milestones(
        ProjectStatus.under_construction,
        {MilestoneKind.start: date(2026, 5, 1), MilestoneKind.completion: date(2026, 7, 1)},
        {MilestoneKind.permits: date(2026, 5, 2)},
        as_of=date(2026, 5, 31),
        today=today,
    )
    types = {(e["loc"][-1], e["type"]) for e in errors}
    assert types == {
        ("start", "milestone_order"),
        ("completion", "date_in_future"),
        ("completion", "milestone_after_report"),
        ("completion", "milestone_contradicts_status"),
    }
    assert (
        milestones.check_report_milestones(
            ProjectStatus.pre_construction,
            {MilestoneKind.start: date(2026, 5, 1)},
            {},
            as_of=today,
            today=today,
        )[0]["type"]
        == "milestone_contradicts_status"
    )
