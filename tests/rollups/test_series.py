"""The series: a park's starts, resumptions, completions and investment by month and quarter,
checked against figures worked by hand.

Park zhuanghe, three projects: A reports 200 万元 (December 2025), 350 (February) and 700
(June), and starts on 1 March; B reports 300 in May (its first amount) and completes on
10 June, commissioned on 20 June; C, suspended in November 2025 at 100, resumes in April at
400 and starts on 15 July (outside the range).
"""

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from app import clock
from app.models import Milestone, MilestoneKind, Project, utcnow
from tests import factories

PARK = "zhuanghe"


@pytest.fixture
def park_of_three(session: Session) -> None:
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
        end_year=2026,
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
    for project, as_of, status, invested in (
        (a, "2025-12-31", "pre_construction", 200),
        (a, "2026-02-28", "under_construction", 350),
        (a, "2026-06-30", "under_construction", 700),
        (b, "2026-05-31", "under_construction", 300),
        (c, "2025-11-30", "suspended", 100),
        (c, "2026-04-30", "under_construction", 400),
    ):
        factories.report(
            session,
            project.code,
            as_of=as_of,
            status=status,
            percent_complete=None,
            invested_to_date_wan=invested,
        )
    for project, kind, day in (
        (a, MilestoneKind.start, date(2026, 3, 1)),
        (b, MilestoneKind.completion, date(2026, 6, 10)),
        (b, MilestoneKind.operation, date(2026, 6, 20)),
        (c, MilestoneKind.start, date(2026, 7, 15)),
    ):
        session.add(
            Milestone(
                project_id=project.id,
                kind=kind,
                actual_date=day,
                actual_recorded_at=utcnow(),
                updated_by="test",
            )
        )
    # The project rows keep the actual start and completion, as a milestone write does.
    a.started_on, b.completed_on, c.started_on = (
        date(2026, 3, 1),
        date(2026, 6, 10),
        date(2026, 7, 15),
    )
    session.add_all([a, b, c])
    session.commit()


def _series(client, auth, **params: str):
    return client.get("/api/v1/rollups/series", params={"park": PARK, **params}, headers=auth())


def _figures(row: dict) -> tuple[int, ...]:
    return tuple(
        row[name]
        for name in (
            "started",
            "resumed",
            "started_or_resumed",
            "completed",
            "commissioned",
            "invested_wan",
        )
    )


def test_a_monthly_series_counts_each_month_by_hand(client, auth, park_of_three):
    response = _series(client, auth, interval="month", **{"from": "2026-01", "to": "2026-06"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"], body["interval"]) == ("2026-01", "2026-06", "month")
    assert [row["period"] for row in body["totals"]] == [f"2026-0{m}" for m in range(1, 7)]
    assert body["totals"][2]["period_name"] == "2026年3月"
    assert [_figures(row) for row in body["totals"]] == [
        (0, 0, 0, 0, 0, 0),
        (0, 0, 0, 0, 0, 150),
        (1, 0, 1, 0, 0, 0),
        (0, 1, 1, 0, 0, 300),
        (0, 0, 0, 0, 0, 300),
        (0, 0, 0, 1, 1, 350),
    ]
    # Without `by`, the rows are the periods with activity.
    assert [row["period"] for row in body["rows"]] == [f"2026-0{m}" for m in range(2, 7)]


def test_a_quarterly_series_by_park(client, auth, park_of_three):
    response = _series(
        client, auth, interval="quarter", by="park", **{"from": "2026-02", "to": "2026-05"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"]) == ("2026-Q1", "2026-Q2")
    q1, q2 = body["rows"]
    assert (q1["period"], q1["period_name"], q1["park_id"]) == ("2026-Q1", "2026年一季度", PARK)
    assert _figures(q1) == (1, 0, 1, 0, 0, 150)
    assert _figures(q2) == (0, 1, 1, 1, 1, 950)
    assert [_figures(row) for row in body["totals"]] == [_figures(q1), _figures(q2)]


def test_a_series_exports_in_chinese(client, auth, park_of_three):
    response = _series(
        client, auth, interval="quarter", format="xlsx", **{"from": "2026-01", "to": "2026-06"}
    )
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(row for row in values if row and row[0] == "期间")
    assert header[:7] == ["期间", "开工", "复工", "开复工", "竣工", "投产", "完成投资（万元）"]
    assert ["2026年二季度", 0, 1, 1, 1, 1, 950] in [row[:7] for row in values]
    assert ["合计", 1, 1, 2, 1, 1, 1100] in [row[:7] for row in values]


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-06", "to": "2026-01"},
        {"from": "2026-13", "to": "2026-12"},
        {"from": "2016-01", "to": "2026-12"},
        {"from": "1999-12", "to": "2000-01"},
        {"from": "0000-01", "to": "2000-01"},
        {"from": "2026-01", "to": "2026-02", "by": "status"},
        {"from": "2026-01", "to": "2026-02", "interval": "week"},
    ],
)
def test_a_bad_series_query_is_refused(client, auth, params):
    response = client.get("/api/v1/rollups/series", params=params, headers=auth())
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_without_a_range_the_series_is_this_year_by_month(client, auth):
    today = clock.today()
    response = client.get("/api/v1/rollups/series", headers=auth())
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"]) == (f"{today.year}-01", today.strftime("%Y-%m"))
    assert [row["period"] for row in body["totals"]] == [
        f"{today.year}-{month:02d}" for month in range(1, today.month + 1)
    ]


def test_a_cached_series_moves_with_a_new_report(client, auth, session, park_of_three):
    params = {"park": PARK, "from": "2026-01", "to": "2026-12", "interval": "quarter"}
    before = client.get("/api/v1/rollups/series", params=params, headers=auth())
    again = client.get("/api/v1/rollups/series", params=params, headers=auth())
    assert before.json() == again.json()
    assert before.headers["ETag"] == again.headers["ETag"]
    code = session.exec(select(Project).where(Project.name == "乙")).one().code
    reported = client.post(
        f"/api/v1/projects/{code}/progress",
        json={
            "as_of": "2026-08-31",
            "status": "completed",
            "percent_complete": 100,
            "invested_to_date_wan": 450,
        },
        headers=auth("admin"),
    )
    assert reported.status_code == 201, reported.text
    after = client.get("/api/v1/rollups/series", params=params, headers=auth())
    assert after.headers["ETag"] != before.headers["ETag"]
    third = {row["period"]: row for row in after.json()["totals"]}["2026-Q3"]
    assert third["invested_wan"] - _q3(before.json())["invested_wan"] == 150


def _q3(body: dict) -> dict:
    return {row["period"]: row for row in body["totals"]}["2026-Q3"]
