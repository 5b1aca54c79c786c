"""Scorecards per responsible unit (`by=unit`) and per leader (`by=leader`), checked against
figures worked by hand.

A park of four projects, year 2026, seen for the period ending 30 June (序时进度 50 %):

| project | unit | leader | plan | opening | 30 June | year | rate | verdict | start | completion |
|---|---|---|---|---|---|---|---|---|---|---|
| P1 | 甲单位 | 王五 | 1,000 | 200 | 700 | 500 | 50 % | 正常 | planned, 1 Mar | — |
| P2 | 甲单位 | 李四 | 1,000 | none | 300 | 300 | 30 % | 滞后 | — | planned, not done |
| P3 | 乙单位 | 王五 | 500 | 100 | 400 | 300 | 60 % | 超前 | planned, not yet | planned, 20 Jun |
| P4 | — | — | none | none | 50 | 50 | — | — | — | — |

By unit:   甲单位 2,000 planned, 800 done (40.0 %, 滞后), 0/1/1 ahead/on/behind, 开工率 1/1 =
100 %, 竣工率 0/1 = 0 %; 乙单位 500, 300 (60.0 %, 超前), 1/0/0, 开工率 0/1 = 0 %, 竣工率 1/1
= 100 %; none recorded: 1 project, no plan, 50 done.
By leader: 王五 1,500 planned, 800 done (53.3 %, 正常), 1/1/0, 开工率 1/2 = 50 %, 竣工率 1/1 =
100 %; 李四 1,000, 300 (30.0 %, 滞后), 0/0/1, no planned start, 竣工率 0/1 = 0 %.

Blockers (问题清单): P2 has one open and past its deadline, P3 one open within it, P1 one
resolved. By unit: 甲单位 2 raised, 1 open, 1 overdue; 乙单位 1, 1, 0. By leader: 王五 2
raised, 1 open, 0 overdue; 李四 1, 1, 1.
"""

import csv
import io
from datetime import date

import pytest
from sqlmodel import Session, select

from app.models import Blocker, BlockerState, PlanRevision, Project, ProjectYear, utcnow
from tests import factories

PARK = "zhuanghe"
YEAR = {"year": "2026", "period_end": "2026-06-30", "park": PARK}


def _plan(session: Session, project: Project, amount: int, **fields: bool) -> None:
    assert project.id is not None
    row = session.exec(
        select(ProjectYear).where(ProjectYear.project_id == project.id, ProjectYear.year == 2026)
    ).first() or ProjectYear(project_id=project.id, year=2026)
    row.planned_investment_wan = amount
    row.plan_revision = 1
    for name, value in fields.items():
        setattr(row, name, value)
    session.add(row)
    session.add(
        PlanRevision(
            project_id=project.id,
            year=2026,
            revision=1,
            planned_investment_wan=amount,
            planned_start=row.planned_start,
            planned_completion=row.planned_completion,
            changed_by="test",
        )
    )
    session.commit()


@pytest.fixture
def park_of_four(session: Session) -> dict[str, str]:
    factories.park(session)

    def project(name: str, unit: str, leader: str) -> Project:
        return factories.project(
            session,
            park_id=PARK,
            name=name,
            start_year=2025,
            end_year=2027,
            total_investment_wan=5000,
            responsible_unit=unit,
            leader=leader,
        )

    p1 = project("一", "甲单位", "王五")
    p2 = project("二", "甲单位", "李四")
    p3 = project("三", "乙单位", "王五")
    p4 = project("四", "", "")

    def report(code: str, as_of: str, status: str, invested: int) -> None:
        factories.report(
            session,
            code,
            as_of=as_of,
            status=status,
            percent_complete=None,
            invested_to_date_wan=invested,
        )

    report(p1.code, "2025-12-31", "pre_construction", 200)
    report(p1.code, "2026-06-30", "under_construction", 700)
    report(p2.code, "2026-05-31", "under_construction", 300)
    report(p3.code, "2025-11-30", "under_construction", 100)
    report(p3.code, "2026-04-30", "under_construction", 400)
    report(p4.code, "2026-04-30", "under_construction", 50)
    for p in (p1, p2, p3, p4):
        session.refresh(p)
    _plan(session, p1, 1000, planned_start=True)
    _plan(session, p2, 1000, planned_completion=True)
    _plan(session, p3, 500, planned_start=True, planned_completion=True)
    p1.started_on = date(2026, 3, 1)
    p3.completed_on = date(2026, 6, 20)
    session.add_all([p1, p3])

    def blocker(project: Project, deadline: date, state: BlockerState) -> Blocker:
        assert project.id is not None
        return Blocker(
            project_id=project.id,
            type="land",
            description="项目用地尚未完成征收。",
            raised_by="test",
            deadline=deadline,
            state=state,
            resolved_at=utcnow() if state is BlockerState.resolved else None,
        )

    session.add_all(
        [
            blocker(p1, date(2020, 1, 31), BlockerState.resolved),
            blocker(p2, date(2020, 1, 31), BlockerState.open),
            blocker(p3, date(2100, 1, 31), BlockerState.in_progress),
        ]
    )
    session.commit()
    return {"p1": p1.code, "p2": p2.code, "p3": p3.code, "p4": p4.code}


def _rollup(client, auth, by: str, **params: str) -> dict:
    response = client.get("/api/v1/rollups", params={"by": by, **YEAR, **params}, headers=auth())
    assert response.status_code == 200, response.text
    return response.json()


SCORE = (
    "project_count",
    "year_planned_investment_wan",
    "year_invested_wan",
    "year_completion_pct",
    "verdict",
    "projects_ahead",
    "projects_on_schedule",
    "projects_behind",
    "planned_starts",
    "actual_starts",
    "start_rate_pct",
    "planned_completions",
    "actual_completions",
    "completion_rate_pct",
)


BLOCKERS = ("blockers_raised", "blockers_open", "blockers_overdue")


def _blockers(rows: list[dict], key: str) -> dict:
    return {row[key]: tuple(row[m] for m in BLOCKERS) for row in rows}


def _scores(rows: list[dict], key: str) -> dict:
    return {row[key]: tuple(row[m] for m in SCORE) for row in rows}


def test_the_scorecard_by_responsible_unit(client, auth, park_of_four):
    body = _rollup(client, auth, "unit")
    assert body["by"] == ["unit"]
    assert _scores(body["rows"], "responsible_unit") == {
        None: (1, 0, 50, None, None, 0, 0, 0, 0, 0, None, 0, 0, None),
        "甲单位": (2, 2000, 800, 40.0, "behind", 0, 1, 1, 1, 1, 100.0, 1, 0, 0.0),
        "乙单位": (1, 500, 300, 60.0, "ahead", 1, 0, 0, 1, 0, 0.0, 1, 1, 100.0),
    }
    assert _blockers(body["rows"], "responsible_unit") == {
        None: (0, 0, 0),
        "甲单位": (2, 1, 1),
        "乙单位": (1, 1, 0),
    }
    # Projects without a unit come first, as an empty name sorts.
    assert body["rows"][0]["responsible_unit"] is None
    # Only the unit's own key: no other dimension's fields.
    assert "park_id" not in body["rows"][0]
    assert "leader" not in body["rows"][0]
    totals = body["totals"]
    assert (totals["project_count"], totals["year_planned_investment_wan"]) == (4, 2500)
    assert totals["year_invested_wan"] == 1150
    assert (totals["planned_starts"], totals["actual_starts"]) == (2, 1)
    # Whatever other measures rows carry (blockers among them), the scorecard carries too.
    assert set(body["rows"][0]) - {"responsible_unit"} == set(totals) | {"projects"}


def test_the_scorecard_by_leader(client, auth, park_of_four):
    body = _rollup(client, auth, "leader")
    assert _scores(body["rows"], "leader") == {
        None: (1, 0, 50, None, None, 0, 0, 0, 0, 0, None, 0, 0, None),
        "王五": (2, 1500, 800, 53.3, "on_schedule", 1, 1, 0, 2, 1, 50.0, 1, 1, 100.0),
        "李四": (1, 1000, 300, 30.0, "behind", 0, 0, 1, 0, 0, None, 1, 0, 0.0),
    }
    assert _blockers(body["rows"], "leader") == {
        None: (0, 0, 0),
        "王五": (2, 1, 0),
        "李四": (1, 1, 1),
    }


def test_each_row_lists_its_projects(client, auth, park_of_four):
    body = _rollup(client, auth, "unit")

    def listed(link: str) -> list[str]:
        response = client.get(link, headers=auth())
        assert response.status_code == 200, response.text
        return sorted(p["code"] for p in response.json()["items"])

    links = {row["responsible_unit"]: row["projects"] for row in body["rows"]}
    assert listed(links["甲单位"]) == sorted([park_of_four["p1"], park_of_four["p2"]])
    assert listed(links[None]) == [park_of_four["p4"]]
    assert "unit=%28%E6%9C%AA%E6%8C%87%E5%AE%9A%29" in links[None]
    leaders = {row["leader"]: row["projects"] for row in _rollup(client, auth, "leader")["rows"]}
    assert listed(leaders["王五"]) == sorted([park_of_four["p1"], park_of_four["p3"]])


def test_a_cross_tab_of_unit_and_leader(client, auth, park_of_four):
    body = _rollup(client, auth, "unit,leader")
    cells = {(r["responsible_unit"], r["leader"]): r["project_count"] for r in body["rows"]}
    assert cells == {
        (None, None): 1,
        ("甲单位", "王五"): 1,
        ("甲单位", "李四"): 1,
        ("乙单位", "王五"): 1,
    }
    assert {r["responsible_unit"]: r["project_count"] for r in body["row_totals"]} == {
        None: 1,
        "甲单位": 2,
        "乙单位": 1,
    }
    assert {r["leader"]: r["project_count"] for r in body["column_totals"]} == {
        None: 1,
        "王五": 2,
        "李四": 1,
    }


def test_the_scorecard_filters_by_unit_too(client, auth, park_of_four):
    body = _rollup(client, auth, "leader", unit="甲单位")
    assert {r["leader"]: r["project_count"] for r in body["rows"]} == {"王五": 1, "李四": 1}


def test_the_scorecard_exports_in_chinese(client, auth, park_of_four):
    response = client.get(
        "/api/v1/rollups", params={"by": "unit", "format": "csv", **YEAR}, headers=auth()
    )
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[0] == "责任单位"
    rate = header.index("年度完成率（%）")
    by_unit = {r[0]: r for r in rows[1:-1]}
    assert set(by_unit) == {"(未指定)", "甲单位", "乙单位"}
    assert by_unit["甲单位"][rate] == "40.0"
    assert rows[-1][0] == "合计"


def test_a_series_by_unit(client, auth, park_of_four):
    response = client.get(
        "/api/v1/rollups/series",
        params={"from": "2026-01", "to": "2026-06", "by": "unit", "park": PARK},
        headers=auth(),
    )
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    invested = {}
    for row in rows:
        invested[row["responsible_unit"]] = (
            invested.get(row["responsible_unit"], 0) + (row["invested_wan"])
        )
    assert invested == {"甲单位": 800, "乙单位": 300, None: 50}
