"""The monthly 调度 round on the pages: the year's figures on the overview, a project's
annual plans and milestones on its page, checked against figures worked by hand.

Park zhuanghe, one project 甲 (2025–2027, 20,000 万元): 2,000 万元 invested by the end of
2025 and 8,000 by 31 October 2026, so 6,000 in 2026; its 2026 plan, 10,000 万元 and then
adjusted to 12,000 (planned to start), gives 年度完成率 50.0 % against 序时进度 91.7 % at
30 November (11/12): 41.7 points behind, 滞后. It was filed in 2025 and started on 15 March
2026; completion was planned for 30 June 2026 and has not happened: 逾期.
"""

import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from app.models import Milestone, MilestoneKind, PlanRevision, Project, ProjectYear
from app.rollups.schemas import RollupRow
from app.web import views
from tests import factories

PARK = "zhuanghe"
DAY = "2026-11-30"
RECORDED = datetime(2026, 3, 16, tzinfo=UTC)


def _plan(session: Session, project: Project, year: int, *revisions: dict) -> None:
    """The plan rows as the plans service leaves them: each revision, the newest in force."""
    assert project.id is not None
    for number, fields in enumerate(revisions, start=1):
        session.add(
            PlanRevision(
                project_id=project.id,
                year=year,
                revision=number,
                changed_by="test",
                changed_at=RECORDED,
                **fields,
            )
        )
    newest = revisions[-1]
    row = session.exec(
        select(ProjectYear).where(ProjectYear.project_id == project.id, ProjectYear.year == year)
    ).first() or ProjectYear(project_id=project.id, year=year)
    row.plan_revision = len(revisions)
    row.planned_investment_wan = newest["planned_investment_wan"]
    row.target = newest.get("target", "")
    row.planned_start = newest.get("planned_start", False)
    row.planned_completion = newest.get("planned_completion", False)
    session.add(row)


@pytest.fixture
def planned(session: Session) -> Project:
    factories.park(session)
    project = factories.project(
        session,
        park_id=PARK,
        name="甲",
        start_year=2025,
        end_year=2027,
        total_investment_wan=20_000,
    )
    _plan(
        session,
        project,
        2026,
        {"planned_investment_wan": 10_000, "target": "开工建设", "planned_start": True},
        {
            "planned_investment_wan": 12_000,
            "target": "主体封顶",
            "planned_start": True,
            "reason": "设备采购提前",
            "document": "大发改投资〔2026〕12号",
            "document_date": date(2026, 7, 1),
        },
    )
    _plan(session, project, 2025, {"planned_investment_wan": 3_000, "target": "完成备案"})
    for kind, planned_on, actual_on in (
        (MilestoneKind.filing, date(2025, 6, 30), date(2025, 6, 20)),
        (MilestoneKind.permits, date(2025, 12, 31), date(2026, 2, 10)),
        (MilestoneKind.start, date(2026, 3, 1), date(2026, 3, 15)),
        (MilestoneKind.completion, date(2026, 6, 30), None),
        (MilestoneKind.operation, date(2027, 6, 30), None),
    ):
        session.add(
            Milestone(
                project_id=project.id,
                kind=kind,
                planned_date=planned_on,
                actual_date=actual_on,
                actual_recorded_at=RECORDED if actual_on else None,
                updated_by="test",
            )
        )
    project.started_on = date(2026, 3, 15)
    session.add(project)
    session.commit()
    for as_of, invested in (("2025-12-31", 2_000), ("2026-10-31", 8_000)):
        factories.report(
            session,
            project.code,
            as_of=as_of,
            status="under_construction",
            percent_complete=None,
            invested_to_date_wan=invested,
        )
    session.refresh(project)
    return project


def _chart_data(text: str) -> dict:
    match = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', text)
    assert match, "the page has no chart data"
    return json.loads(html.unescape(match.group(1)))


def _figure(text: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}"[^>]*>(.*?)</span>\s*(?:</div>|<span)', text, re.S)
    assert match, f"no figure {name}"
    return re.sub(r"<[^>]+>", "", html.unescape(match.group(1))).strip()


def test_the_overview_shows_the_years_round(sign_in, planned):
    client = sign_in("planner")
    response = client.get(f"/web/?park={PARK}&period_end={DAY}")
    assert response.status_code == 200, response.text
    text = response.text
    assert "2026年度 调度" in text
    assert _figure(text, "year_planned_investment_wan") == "1.20 亿元"
    assert 'title="12,000 万元"' in text
    assert "1–11 月完成投资" in text
    assert _figure(text, "year_invested_wan") == "6,000 万元"
    assert _figure(text, "year_completion_pct") == "50.0%"
    assert _figure(text, "time_elapsed_pct") == "91.7%"
    assert _figure(text, "year_gap_pct") == "低于序时进度 41.7 个百分点 滞后"
    assert "verdict-behind" in text
    assert _figure(text, "start_rate_pct") == "100.0%"
    assert "实际 1 / 计划 1 个" in html.unescape(text)
    assert _figure(text, "completion_rate_pct") == "—"
    assert _figure(text, "overdue") == "0"

    park_row = re.search(r'<tr data-park="zhuanghe">(.*?)</tr>', text, re.S)
    assert park_row, "no row for the park in 各园区年度完成情况"
    cells = [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", park_row.group(1), re.S)
    ]
    assert cells == [
        "1",
        "大连庄河经济开发区",
        "1.20 亿元",
        "6,000 万元",
        "50.0%",
        "-41.7",
        "滞后",
        "1/1",
        "0/0",
        "0",
    ]
    assert f'href="/web/projects?park={PARK}' in park_row.group(1)

    series = _chart_data(text)["series"]
    assert [p["label"] for p in series] == [f"{m}月" for m in range(1, 12)]
    assert [p["started"] for p in series] == [0, 0, 1] + [0] * 8
    assert [p["invested_wan"] for p in series] == [0] * 9 + [6_000, 0]


def test_the_overview_in_english_and_for_another_year(sign_in, planned):
    client = sign_in("planner")
    client.cookies.set("portfolio_lang", "en")
    text = client.get(f"/web/?park={PARK}&period_end={DAY}&year=2025").text
    assert "2025 round" in text
    assert _figure(text, "year_planned_investment_wan") == "3,000 万元"
    assert "Invested, months 1–12" in text
    # 2,000 of 3,000 by the end of 2025: 66.7 % against a whole year elapsed.
    assert _figure(text, "year_completion_pct") == "66.7%"
    assert _figure(text, "year_gap_pct") == "33.3 points behind time elapsed behind"
    assert len(_chart_data(text)["series"]) == 12


def test_a_bad_year_is_refused(sign_in):
    client = sign_in("planner")
    response = client.get("/web/?year=1800")
    assert response.status_code == 422
    assert "year" in response.text


def test_parks_rank_by_year_completion_with_unplanned_last():
    def row(park: str, pct: float | None) -> RollupRow:
        fields = {
            name: 0 for name, info in RollupRow.model_fields.items() if info.annotation is int
        }
        return RollupRow.model_validate(
            {
                **fields,
                "park_id": park,
                "completion_rate": None,
                "status_counts": {},
                "schedule_gap_pct": None,
                "year_completion_pct": pct,
                "time_elapsed_pct": 50.0,
                "year_gap_pct": None,
                "verdict": None,
                "start_rate_pct": None,
                "completion_rate_pct": None,
                "resolution_rate_pct": None,
                "projects": "/api/v1/projects",
            }
        )

    ranked = views.rank_by_year_completion(
        [row("a", None), row("b", 40.0), row("c", 120.5), row("d", 0.0)]
    )
    assert [r.park_id for r in ranked] == ["c", "b", "d", "a"]


@pytest.mark.parametrize(
    ("year", "seen_at", "months"),
    [
        (2026, date(2026, 11, 30), ("2026-01", "2026-11")),
        (2025, date(2026, 11, 30), ("2025-01", "2025-12")),
        (2027, date(2026, 11, 30), ("2027-01", "2027-01")),
        (2026, date(2026, 1, 5), ("2026-01", "2026-01")),
    ],
)
def test_the_series_runs_from_january_to_the_month_read(year, seen_at, months):
    assert views.series_months(year, seen_at) == months


def test_the_project_page_lists_plans_and_the_milestone_timeline(sign_in, planned):
    client = sign_in("planner")
    response = client.get(f"/web/projects/{planned.code}")
    assert response.status_code == 200, response.text
    text = html.unescape(response.text)
    assert "年度计划与完成" in text
    rows = {
        year: [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for year, row in re.findall(r'<tr data-year="(\d+)">(.*?)</tr>', text, re.S)
    }
    assert list(rows) == ["2026", "2025"]
    assert rows["2026"] == [
        "2026",
        "1.20 亿元",
        "主体封顶",
        "是",
        "否",
        "2 已调整",
        "设备采购提前 · 大发改投资〔2026〕12号（2026-07-01）",
        "6,000 万元",
        "50.0%",
    ]
    assert rows["2025"] == [
        "2025",
        "3,000 万元",
        "完成备案",
        "否",
        "否",
        "1",
        "—",
        "2,000 万元",
        "66.7%",
    ]

    assert "项目里程碑" in text
    stages = re.findall(r'<li class="stage stage-(\w+)" data-kind="(\w+)">(.*?)</li>', text, re.S)
    assert [(state, kind) for state, kind, _ in stages] == [
        ("done", "filing"),
        ("done", "permits"),
        ("done", "start"),
        ("late", "completion"),
        ("pending", "operation"),
    ]
    completion = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", stages[3][2])).strip()
    assert completion == "竣工验收 计划 2026-06-30 实际 — 逾期"
    assert "逾期" not in stages[4][2]


def test_the_project_page_in_english_names_the_stages(sign_in, planned):
    client = sign_in("planner")
    client.cookies.set("portfolio_lang", "en")
    text = client.get(f"/web/projects/{planned.code}").text
    assert "Annual plans and results" in text
    assert "Completion and acceptance" in text
    assert "Overdue" in text


def test_an_officer_of_another_park_sees_the_milestones_but_not_the_plans(sign_in, planned):
    text = sign_in("officer", "gaoxin").get(f"/web/projects/{planned.code}").text
    assert 'id="plans"' not in text
    assert 'id="milestones"' in text


def test_a_project_without_plans_says_so(sign_in):
    text = sign_in("planner").get("/web/projects/INF-001").text
    assert "尚无年度计划。" in text
    assert text.count('class="stage stage-') == 5


@dataclass
class Entry:
    period: str
    revision: int
    invested_to_date_wan: int | None


HISTORY = [
    Entry("2024-06", 1, 500),
    Entry("2024-12", 1, 900),
    Entry("2024-12", 2, 1_000),  # the revision replaces the period's first report
    Entry("2025-03", 1, None),  # no amount: the earlier one stands
    Entry("2025-11", 1, 1_600),
    Entry("2026-10", 1, 2_500),
]


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2023, None),  # nothing reported by its end
        (2024, 1_000),  # the first year counts whole
        (2025, 600),
        (2026, 900),  # this year: to the latest report
        (2027, None),  # still to come
    ],
)
def test_the_years_actual_is_the_rise_over_the_year(year, expected):
    assert views.year_invested(HISTORY, year=year, today=date(2026, 11, 30)) == expected


def test_a_year_without_reports_did_not_move():
    assert views.year_invested(HISTORY[:2], year=2025, today=date(2026, 11, 30)) == 0
