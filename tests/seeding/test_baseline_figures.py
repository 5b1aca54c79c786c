"""The percent complete and investment to date the printed notes state, on their baselines."""

import json
from collections import defaultdict

import pytest
from sqlmodel import select

from app.models import ProgressEntry, Project
from app.seeding.load import BaselineFigures, baseline_figures, baseline_status, load_seed
from tests.conftest import SEED_DIR

SEED = json.loads((SEED_DIR / "projects.json").read_text(encoding="utf-8"))
NOTES = {row["code"]: row["progress_note"] for row in SEED}
PARKS = json.loads((SEED_DIR / "parks.json").read_text(encoding="utf-8"))
PARK_OF = {s: p["id"] for p in PARKS for s in [p["name"], *p["aliases"]]}

# Every note whose figures are taken (app/seed/baseline_figures.md quotes each phrase).
TAKEN = {
    "INF-032": BaselineFigures(percent_complete=50),  # 占总工程量的50%
    "INF-042": BaselineFigures(percent_complete=78),  # 约占总工程量的78%
    "INF-053": BaselineFigures(invested_to_date_wan=3000),  # 完成投资3000万元
    "SVC-005": BaselineFigures(percent_complete=70),  # 工程已完成70%
    "INN-001": BaselineFigures(invested_to_date_wan=2536),  # 完成投资2536万元
    "INN-003": BaselineFigures(invested_to_date_wan=1800),  # 已完成总投资1800万元
    "INN-011": BaselineFigures(percent_complete=65),  # 在建工程完成65%
    "INN-035": BaselineFigures(invested_to_date_wan=10200),  # 已完成投资1.02亿元
    "INN-075": BaselineFigures(invested_to_date_wan=23822),  # 累计完成投资约23822万元
    "INN-114": BaselineFigures(invested_to_date_wan=65000),  # 完成投资6.5亿元
}
INVESTED = {code: f.invested_to_date_wan for code, f in TAKEN.items() if f.invested_to_date_wan}


@pytest.mark.parametrize(("code", "figures"), list(TAKEN.items()))
def test_figures_read_from_a_note(code, figures):
    got = baseline_figures(NOTES[code])
    assert got.percent_complete == figures.percent_complete
    assert got.invested_to_date_wan == figures.invested_to_date_wan


def test_every_other_note_states_no_figures():
    stating = {code for code, note in NOTES.items() if baseline_figures(note) != BaselineFigures()}
    assert stating == set(TAKEN)


@pytest.mark.parametrize(
    ("note", "figures"),
    [
        # A plan, a year's or a phase's amount, a part of it: not the investment to date.
        ("计划完成投资3000万元。", BaselineFigures()),
        ("2019年度完成投资3000万元。", BaselineFigures()),
        ("在建，一期完成投资3000万元。", BaselineFigures()),
        (
            "在建，累计完成投资5000万元，其中完成投资3000万元。",
            BaselineFigures(invested_to_date_wan=5000),
        ),
        # Two different amounts, or a share of the investment: in doubt.
        ("在建，完成投资3000万元，完成投资4000万元。", BaselineFigures()),
        ("在建，投资进度约15%。", BaselineFigures()),
        # Not a whole 万元: not rounded; 亿元 exactly.
        ("在建，完成投资2190.68万元。", BaselineFigures()),
        ("在建，完成投资1.00005亿元。", BaselineFigures()),
        ("在建，完成投资1.0005亿元。", BaselineFigures(invested_to_date_wan=10005)),
        # A percentage the status rules refuse, or out of range.
        ("正在办理施工许可证，工程进度10%。", BaselineFigures()),
        ("正在办理施工许可证，工程进度0%。", BaselineFigures(percent_complete=0)),
        ("项目已全部建成，工程进度90%。", BaselineFigures()),
        ("项目已全部建成，工程进度100%。", BaselineFigures(percent_complete=100)),
        ("在建，工程进度120%。", BaselineFigures()),
        # One item's share is not the project's.
        ("土建工程已完成70%。", BaselineFigures()),
        ("在建，完成总工程量的60%。", BaselineFigures(percent_complete=60)),
    ],
)
def test_only_unambiguous_figures_are_taken(note, figures):
    assert baseline_figures(note) == figures


def test_no_taken_figure_contradicts_the_project():
    total = {row["code"]: row["total_investment_wan"] for row in SEED}
    for code, invested in INVESTED.items():
        assert 0 < invested <= total[code], code
    for code, figures in TAKEN.items():
        if figures.percent_complete is not None:
            assert baseline_status(NOTES[code]) == "under_construction", code


def test_seeded_rows_and_baselines_carry_the_figures_read(session):
    assert load_seed(session, seed_dir=SEED_DIR).projects == 0  # loading again changes nothing
    projects = session.exec(select(Project)).all()
    assert len(projects) == len(NOTES)
    for project in projects:
        figures = TAKEN.get(project.code, BaselineFigures())
        (baseline,) = session.exec(
            select(ProgressEntry).where(ProgressEntry.project_id == project.id)
        ).all()
        assert baseline.percent_complete == figures.percent_complete, project.code
        assert baseline.invested_to_date_wan == figures.invested_to_date_wan, project.code
        for prefix in ("", "official_"):
            assert getattr(project, f"{prefix}status") == baseline.status, project.code
            assert getattr(project, f"{prefix}percent_complete") == figures.percent_complete
            assert getattr(project, f"{prefix}invested_to_date_wan") == (
                figures.invested_to_date_wan
            )


def test_portfolio_invested_is_the_sum_of_the_amounts_taken(client, auth, session):
    assert load_seed(session, seed_dir=SEED_DIR).projects == 0
    response = client.get("/api/v1/rollups", params={"by": "park"}, headers=auth())
    assert response.status_code == 200, response.text
    body = response.json()
    assert sum(INVESTED.values()) == 106_358
    assert body["totals"]["invested_to_date_wan"] == 106_358
    by_park: dict[str, int] = defaultdict(int)
    for row in SEED:
        by_park[PARK_OF[row["park_name"]]] += INVESTED.get(row["code"], 0)
    assert {r["park_id"]: r["invested_to_date_wan"] for r in body["rows"]} == by_park
