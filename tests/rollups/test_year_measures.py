"""The year's measures of a 调度 round, checked field by field against figures worked by hand.

A park of three projects, year 2026, seen for the period ending 30 June (序时进度 50 %):

| project | plan (万元) | opening | at 30 June | year's | rate | verdict |
|---|---|---|---|---|---|---|
| A | 1,000 | 200 (Dec 2025) | 700 | 500 | 50 % | 正常 |
| B | 1,000 | none | 300 | 300 | 30 % | 滞后 |
| C | 500 | 100 (Nov 2025) | 400 | 300 | 60 % | 超前 |

A was planned to start and started on 1 March; B's plan of 2,000 was adjusted to 1,000 mid-
year, it is planned to complete and its end year was 2025; C was planned to start, resumed
after a suspension and started late (15 July).

The park: plan 2,500, completed 1,100, 44.0 %, gap −6.0 points (滞后); planned starts 2, of
which started by 30 June 1 (50 %); planned completions 1, completed 0 (0 %); overdue 1 (B).
"""

from datetime import date

import pytest
from sqlmodel import Session, select

from app.models import PlanRevision, Project, ProjectYear
from tests import factories

PARK = "zhuanghe"


def _plan(session: Session, project: Project, amount: int, **fields: object) -> None:
    assert project.id is not None
    row = session.exec(
        select(ProjectYear).where(ProjectYear.project_id == project.id, ProjectYear.year == 2026)
    ).first() or ProjectYear(project_id=project.id, year=2026)
    revision = row.plan_revision + 1
    for name, value in {
        "planned_investment_wan": amount,
        "plan_revision": revision,
        **fields,
    }.items():
        setattr(row, name, value)
    session.add(row)
    session.add(
        PlanRevision(
            project_id=project.id,
            year=2026,
            revision=revision,
            planned_investment_wan=amount,
            planned_start=row.planned_start,
            planned_completion=row.planned_completion,
            reason="" if revision == 1 else "中期调整",
            document="" if revision == 1 else "大发改投资〔2026〕12号",
            changed_by="test",
        )
    )
    session.commit()


@pytest.fixture
def park_of_three(session: Session) -> dict[str, str]:
    factories.park(session)
    a = factories.project(
        session,
        park_id=PARK,
        name="甲",
        start_year=2025,
        end_year=2027,
        total_investment_wan=10_000,
    )
    b = factories.project(
        session,
        park_id=PARK,
        name="乙",
        start_year=2024,
        end_year=2025,
        total_investment_wan=10_000,
    )
    c = factories.project(
        session,
        park_id=PARK,
        name="丙",
        start_year=2025,
        end_year=2028,
        total_investment_wan=10_000,
    )

    def report(code: str, as_of: str, status: str, invested: int) -> None:
        factories.report(
            session,
            code,
            as_of=as_of,
            status=status,
            percent_complete=None,
            invested_to_date_wan=invested,
        )

    report(a.code, "2025-12-31", "pre_construction", 200)
    report(a.code, "2026-06-30", "under_construction", 700)
    report(b.code, "2026-05-31", "under_construction", 300)
    report(c.code, "2025-11-30", "suspended", 100)
    report(c.code, "2026-04-30", "under_construction", 400)
    # A report after the period: unseen for the period ending 30 June.
    report(a.code, "2026-09-30", "under_construction", 900)

    for project in (a, b, c):
        session.refresh(project)
    _plan(session, a, 1000, planned_start=True)
    _plan(session, b, 2000, planned_completion=True)
    _plan(session, b, 1000)  # 中期调整
    _plan(session, c, 500, planned_start=True)
    a.started_on = date(2026, 3, 1)
    c.started_on = date(2026, 7, 15)
    session.add_all([a, c])
    session.commit()
    return {"a": a.code, "b": b.code, "c": c.code}


def _rollup(client, auth, **params: str) -> dict:
    response = client.get(
        "/api/v1/rollups", params={"by": "park", "park": PARK, **params}, headers=auth()
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_year_measures_of_a_park_for_the_period_ending_june(client, auth, park_of_three):
    body = _rollup(client, auth, year="2026", period_end="2026-06-30")
    assert body["year"] == 2026
    assert body["period_end"] == "2026-06-30"
    assert body["seen_at"] == "2026-06-30"
    (row,) = body["rows"]
    assert row == body["totals"] | {
        "park_id": PARK,
        "park_name": "大连庄河经济开发区",
        "projects": row["projects"],
    }
    assert row["project_count"] == 3
    assert row["invested_to_date_wan"] == 700 + 300 + 400
    assert row["year_planned_investment_wan"] == 2500
    assert row["year_invested_wan"] == 1100
    assert row["year_completion_pct"] == 44.0
    assert row["time_elapsed_pct"] == 50.0
    assert row["year_gap_pct"] == -6.0
    assert row["verdict"] == "behind"
    assert row["year_planned_projects"] == 3
    assert (row["projects_ahead"], row["projects_on_schedule"], row["projects_behind"]) == (1, 1, 1)
    assert (row["planned_starts"], row["actual_starts"], row["start_rate_pct"]) == (2, 1, 50.0)
    assert (row["planned_completions"], row["actual_completions"]) == (1, 0)
    assert row["completion_rate_pct"] == 0.0
    assert row["overdue"] == 1
    assert "period_end=2026-06-30" in row["projects"]


def test_the_same_park_now_counts_the_late_start_and_the_later_report(client, auth, park_of_three):
    body = _rollup(client, auth, year="2026")
    totals = body["totals"]
    assert body["period_end"] is None
    # A's September report: 900 − 200 = 700 this year; B 300; C 300.
    assert totals["year_invested_wan"] == 1300
    assert totals["year_completion_pct"] == 52.0
    assert (totals["planned_starts"], totals["actual_starts"]) == (2, 2)
    assert totals["start_rate_pct"] == 100.0


def test_a_past_year_is_read_at_its_last_day(client, auth, park_of_three):
    body = _rollup(client, auth, year="2025")
    totals = body["totals"]
    assert body["seen_at"] == "2025-12-31"
    assert totals["time_elapsed_pct"] == 100.0
    # No plans for 2025; A and C reported then, and their state is that of December 2025.
    assert totals["year_planned_investment_wan"] == 0
    assert totals["year_completion_pct"] is None
    assert totals["verdict"] is None
    assert totals["invested_to_date_wan"] == 200 + 100
    assert totals["status_counts"]["suspended"] == 1


def test_known_on_and_period_end_answer_different_questions(client, auth, session, park_of_three):
    # The June figures as known at the end of 5 July: every report above arrived today, so
    # nothing was known then but what the seed… none of it: the park's projects are new.
    known = _rollup(client, auth, year="2026", period_end="2026-06-30", as_of="2026-07-05")
    assert known["totals"]["invested_to_date_wan"] == 0
    assert known["totals"]["year_invested_wan"] == 0
    assert known["seen_at"] == "2026-06-30"
    period = _rollup(client, auth, year="2026", period_end="2026-06-30")
    assert period["totals"]["invested_to_date_wan"] == 1400


def test_the_year_measures_export_in_chinese(client, auth, park_of_three):
    response = client.get(
        "/api/v1/rollups",
        params={
            "by": "park",
            "park": PARK,
            "year": "2026",
            "period_end": "2026-06-30",
            "format": "csv",
        },
        headers=auth(),
    )
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    header, row, *_ = text.splitlines()
    assert "年度计划投资（万元）" in header
    assert "开工率（%）" in header
    assert ",2500,1100,44.0,50.0,-6.0,滞后,2,1,50.0,1,0,0.0,1" in row


def test_a_year_out_of_range_is_refused(client, auth):
    response = client.get("/api/v1/rollups", params={"by": "park", "year": "1999"}, headers=auth())
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_project_silent_all_year_completed_nothing_in_it(client, auth, session):
    # Reported in 2025, neither reported nor planned in 2026: it has no row of the year, and
    # its 2026 completion is 0, not the 800 it had invested before.
    factories.park(session, id="silent", name="静默园区")
    quiet = factories.project(
        session, park_id="silent", start_year=2025, end_year=2027, total_investment_wan=10_000
    )
    factories.report(
        session, quiet.code, as_of="2025-10-31", percent_complete=None, invested_to_date_wan=800
    )
    response = client.get(
        "/api/v1/rollups", params={"by": "park", "park": "silent", "year": "2026"}, headers=auth()
    )
    assert response.status_code == 200, response.text
    totals = response.json()["totals"]
    assert totals["invested_to_date_wan"] == 800
    assert totals["year_invested_wan"] == 0
    assert totals["year_planned_investment_wan"] == 0
