"""Tracking reports: compliance for a period, changes between dates, open blockers."""

from datetime import UTC, date, datetime

import pytest

from app.models import ProgressEntry
from app.projects.service import get_project
from tests import factories

SEEDED_PROJECTS = 178  # the seeded library, all parks


def _entry(session, code, *, as_of, received, revision=1, **fields):
    project = get_project(session, code=code)
    fields.setdefault("status", "under_construction")
    entry = ProgressEntry(
        project_id=project.id,
        as_of=as_of,
        period=as_of.strftime("%Y-%m"),
        revision=revision,
        reporter_name="officer",
        reporter_role="officer",
        received_at=received,
        **fields,
    )
    session.add(entry)
    session.commit()
    return entry


def test_compliance_for_a_period(client, auth, session):
    october = date(2026, 10, 31)
    _entry(session, "INF-002", as_of=october, received=datetime(2026, 11, 3, tzinfo=UTC))
    # The 5th of November ends at 16:00 UTC; this arrives just after.
    _entry(session, "INF-003", as_of=october, received=datetime(2026, 11, 5, 16, 1, tzinfo=UTC))
    _entry(
        session,
        "INF-004",
        as_of=october,
        received=datetime(2026, 11, 1, tzinfo=UTC),
        review_state="returned",
    )
    body = client.get(
        "/api/v1/reports/compliance", params={"period": "2026-10", "park": "gaoxin"}, headers=auth()
    ).json()
    assert body["period"] == "2026-10"
    assert body["due_at"] == "2026-11-05T16:00:00Z"
    [gaoxin] = body["parks"]
    assert gaoxin["park_id"] == "gaoxin"
    assert (gaoxin["project_count"], gaoxin["reported"], gaoxin["missing"]) == (21, 3, 18)
    assert gaoxin["late_projects"] == ["INF-003"]
    assert gaoxin["returned_projects"] == ["INF-004"]
    assert gaoxin["reported_projects"] == ["INF-002", "INF-003", "INF-004"]
    assert len(gaoxin["missing_projects"]) == 18
    assert body["totals"]["late"] == 1


def test_compliance_over_all_parks_and_a_later_due_day(client, auth, session):
    _entry(
        session,
        "INF-003",
        as_of=date(2026, 10, 31),
        received=datetime(2026, 11, 7, tzinfo=UTC),
    )
    body = client.get(
        "/api/v1/reports/compliance", params={"period": "2026-10", "due_day": 10}, headers=auth()
    ).json()
    assert len(body["parks"]) == 9
    assert body["totals"]["project_count"] == SEEDED_PROJECTS
    assert body["totals"]["reported"] == 1
    assert body["totals"]["late"] == 0


def test_compliance_without_a_period_is_for_the_period_due(client, auth):
    body = client.get("/api/v1/reports/compliance", headers=auth()).json()
    assert len(body["period"]) == 7
    assert body["totals"]["missing"] == SEEDED_PROJECTS


@pytest.mark.parametrize("period", ["2026-13", "Oct 2026", "2026-1"])
def test_bad_period_is_422(client, auth, period):
    response = client.get("/api/v1/reports/compliance", params={"period": period}, headers=auth())
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "period"]


def test_changes_between_two_dates(client, auth, session):
    june, september = date(2026, 6, 30), date(2026, 9, 30)
    early = datetime(2026, 6, 30, 1, tzinfo=UTC)
    late = datetime(2026, 10, 2, tzinfo=UTC)
    # INF-001 (kaifaqu) was pre-construction in the baseline; it starts.
    _entry(session, "INF-001", as_of=september, received=late, invested_to_date_wan=3000)
    # A new gaoxin infrastructure project completes; its investment grows from 100000 to 220000.
    completing = factories.project(
        session, category="infrastructure", total_investment_wan=220000
    ).code
    _entry(session, completing, as_of=june, received=early, invested_to_date_wan=100000)
    _entry(
        session,
        completing,
        as_of=september,
        received=late,
        status="completed",
        invested_to_date_wan=220000,
    )
    # INN-023 (gaoxin) is suspended.
    _entry(session, "INN-023", as_of=september, received=late, status="suspended")
    body = client.get(
        "/api/v1/reports/changes",
        params={"from_date": "2026-06-30", "to_date": "2026-10-31"},
        headers=auth(),
    ).json()
    totals = body["totals"]
    assert (totals["started"], totals["completed"], totals["suspended"]) == (1, 1, 1)
    assert totals["investment_added_wan"] == 3000 + 120000
    assert totals["project_count"] == SEEDED_PROJECTS + 1  # and the completing project
    rows = {(r["park_id"], r["category"]): r for r in body["rows"]}
    assert rows[("gaoxin", "infrastructure")]["completed"] == 1
    assert rows[("gaoxin", "infrastructure")]["investment_added_wan"] == 120000
    assert rows[("gaoxin", "innovation")]["suspended"] == 1
    assert rows[("kaifaqu", "infrastructure")]["started"] == 1
    assert rows[("kaifaqu", "infrastructure")]["park_name"] == "大连经济技术开发区"
    # Seen from before the later reports arrived, nothing had changed yet.
    early_view = client.get(
        "/api/v1/reports/changes",
        params={"from_date": "2026-06-30", "to_date": "2026-09-30"},
        headers=auth(),
    ).json()
    assert early_view["totals"]["completed"] == 0


def test_changes_need_dates_in_order(client, auth):
    response = client.get(
        "/api/v1/reports/changes",
        params={"from_date": "2026-09-30", "to_date": "2026-06-30"},
        headers=auth(),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "to_date"]
    assert client.get("/api/v1/reports/changes", headers=auth()).status_code == 422


def test_open_blockers_by_park(client, auth, session):
    code = factories.project(session).code  # park gaoxin
    officer = auth("officer", "gaoxin")
    raised = client.post(
        f"/api/v1/projects/{code}/progress",
        json={"as_of": "2026-10-31", "status": "under_construction", "issues": "征地未完成"},
        headers=officer,
    ).json()
    body = client.get("/api/v1/reports/blockers", headers=auth()).json()
    assert body["total"] == 1
    [park] = body["parks"]
    assert (park["park_id"], park["open_blockers"]) == ("gaoxin", 1)
    [item] = park["items"]
    assert item["project_code"] == code
    assert item["issues"] == "征地未完成"
    assert item["entry_id"] == raised["id"]
    # A later report without blockers clears it.
    client.post(
        f"/api/v1/projects/{code}/progress",
        json={"as_of": "2026-11-20", "status": "under_construction"},
        headers=officer,
    )
    assert client.get("/api/v1/reports/blockers", headers=auth()).json()["total"] == 0
