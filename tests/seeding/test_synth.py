"""The synthetic portfolio: deterministic, drawn like the library, consistent with the rules."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app import migrate
from app.db import build_engine
from app.models import (
    Blocker,
    BlockerEvent,
    Milestone,
    MilestoneKind,
    PlanRevision,
    ProgressEntry,
    Project,
    ProjectStatus,
    ProjectYear,
    ReviewRecord,
)
from app.progress.schemas import Figures
from app.progress.service import latest_entries
from app.seeding.load import load_seed
from app.seeding.synth import synthesize
from tests.conftest import SEED_DIR

TODAY = date(2026, 11, 22)
# The library's projects start in 2008-2020 and synthetic ones up to six years later: on this
# day some have not started, some are under way and some are done.
ROUND_DAY = date(2022, 11, 22)
FIRST_YEAR, CURRENT_YEAR = 2020, 2022  # of the 24 report periods before ROUND_DAY


def _synthesised(make_database, seed):
    url = make_database()
    migrate.upgrade(url)
    engine = build_engine(url)
    with Session(engine) as session:
        load_seed(session, seed_dir=SEED_DIR)
        result = synthesize(
            session, projects=300, months=6, seed=seed, seed_dir=SEED_DIR, today=TODAY
        )
    return engine, result


def _fingerprint(engine):
    with engine.connect() as conn:
        projects = conn.execute(
            sa.text(
                "SELECT code, park_id, start_year, end_year, total_investment_wan, status "
                "FROM project ORDER BY code"
            )
        ).all()
        entries = conn.execute(
            sa.text(
                "SELECT p.code, e.as_of, e.revision, e.status, e.percent_complete, "
                "e.invested_to_date_wan, e.issues FROM progress_entry e "
                "JOIN project p ON p.id = e.project_id ORDER BY p.code, e.as_of, e.revision"
            )
        ).all()
    return projects, entries


def test_same_seed_same_portfolio(make_database):
    first, result = _synthesised(make_database, seed=7)
    second, _ = _synthesised(make_database, seed=7)
    other, _ = _synthesised(make_database, seed=8)
    assert result.projects == 300
    assert 300 * 6 * 0.8 < result.entries < 300 * 6 * 1.1
    assert _fingerprint(first) == _fingerprint(second)
    assert _fingerprint(first) != _fingerprint(other)
    for engine in (first, second, other):
        engine.dispose()


def test_synthetic_reports_follow_the_rules(make_database):
    engine, _ = _synthesised(make_database, seed=3)
    with Session(engine) as session:
        projects = session.exec(select(Project).where(Project.code.like("%-1__"))).all()  # type: ignore[attr-defined]
        ids = [p.id for p in projects if p.id is not None]
        # The rows carry the figures the API would have left them with, latest and official.
        for figures, prefix in ((Figures.latest, ""), (Figures.official, "official_")):
            current = latest_entries(session, project_ids=ids, figures=figures)
            assert current
            for project in projects:
                entry = current.get(project.id)
                expected = (
                    (
                        entry.status,
                        entry.percent_complete,
                        entry.invested_to_date_wan,
                        bool(entry.issues),
                    )
                    if entry is not None
                    else ("pre_construction", None, None, False)
                )
                assert expected == tuple(
                    getattr(project, f"{prefix}{name}")
                    for name in (
                        "status",
                        "percent_complete",
                        "invested_to_date_wan",
                        "open_issues",
                    )
                )
        entries = session.exec(
            select(ProgressEntry).where(sa.not_(ProgressEntry.is_baseline))
        ).all()
        periods = {(e.project_id, e.period, e.revision) for e in entries}
        assert len(periods) == len(entries)
        assert all(e.as_of.strftime("%Y-%m") == e.period for e in entries)
        assert {e.period for e in entries} == {f"2026-{m:02d}" for m in range(5, 11)}
        assert any(e.issues for e in entries)
        assert any(e.revision == 2 for e in entries)
        # A period reported twice had its first report returned; it states no figure.
        returned = [e for e in entries if e.review_state == "returned"]
        assert returned
        assert all((e.project_id, e.period, e.revision + 1) in periods for e in returned)
        # Every decision is on the review log, and the register holds blockers with steps.
        reviewed = [e for e in entries if e.reviewed_at is not None]
        records = session.exec(select(ReviewRecord)).all()
        assert sorted(r.entry_id for r in records) == sorted(e.id for e in reviewed)
        blockers = session.exec(select(Blocker)).all()
        assert blockers
        assert any(b.state == "resolved" and b.resolution for b in blockers)
        stepped = {e.blocker_id for e in session.exec(select(BlockerEvent)).all()}
        assert stepped == {b.id for b in blockers}
    engine.dispose()


def _plans_and_milestones(engine):
    with engine.connect() as conn:
        years = conn.execute(
            sa.text(
                "SELECT p.code, y.year, y.plan_revision, y.planned_investment_wan, y.target, "
                "y.planned_start, y.planned_completion FROM project_year y "
                "JOIN project p ON p.id = y.project_id ORDER BY p.code, y.year"
            )
        ).all()
        revisions = conn.execute(
            sa.text(
                "SELECT p.code, r.year, r.revision, r.planned_investment_wan, r.document, "
                "r.changed_at FROM plan_revision r JOIN project p ON p.id = r.project_id "
                "ORDER BY p.code, r.year, r.revision"
            )
        ).all()
        stages = conn.execute(
            sa.text(
                "SELECT p.code, m.kind, m.planned_date, m.actual_date, m.actual_recorded_at "
                "FROM milestone m JOIN project p ON p.id = m.project_id ORDER BY p.code, m.kind"
            )
        ).all()
    return years, revisions, stages


@pytest.fixture(scope="module")
def portfolio(make_database):
    """Two years of reports, plans and milestones for 200 synthetic projects."""
    url = make_database()
    migrate.upgrade(url)
    engine = build_engine(url)
    with Session(engine) as session:
        load_seed(session, seed_dir=SEED_DIR)
        result = synthesize(
            session, projects=200, months=24, seed=11, seed_dir=SEED_DIR, today=ROUND_DAY
        )
    yield engine, result
    engine.dispose()


def test_plans_and_milestones_are_reproducible(portfolio, make_database):
    engine, result = portfolio
    url = make_database()
    migrate.upgrade(url)
    again = build_engine(url)
    with Session(again) as session:
        load_seed(session, seed_dir=SEED_DIR)
        synthesize(session, projects=200, months=24, seed=11, seed_dir=SEED_DIR, today=ROUND_DAY)
    assert _plans_and_milestones(engine) == _plans_and_milestones(again)
    assert _fingerprint(engine) == _fingerprint(again)
    again.dispose()
    years, _revisions, stages = _plans_and_milestones(engine)
    assert result.plans == sum(1 for row in years if row.plan_revision > 0) > 200
    assert result.milestones == len(stages) > 200 * 4


def test_plan_rows_hold_their_newest_revision(portfolio):
    engine, _ = portfolio
    with Session(engine) as session:
        projects = {p.id: p for p in session.exec(select(Project)).all()}
        rows = session.exec(select(ProjectYear)).all()
        history: dict[tuple[int, int], list[PlanRevision]] = {}
        for revision in session.exec(
            select(PlanRevision).order_by(col(PlanRevision.revision))
        ).all():
            history.setdefault((revision.project_id, revision.year), []).append(revision)
        first_reported = dict(
            session.exec(
                select(ProgressEntry.project_id, func.min(ProgressEntry.period)).group_by(
                    col(ProgressEntry.project_id)
                )
            ).all()
        )
    planned = [row for row in rows if row.plan_revision > 0]
    assert planned
    assert all((row.plan_revision > 0) == (row.planned_investment_wan is not None) for row in rows)
    assert len({(row.project_id, row.year) for row in planned}) == len(history)
    for row in planned:
        revisions = history.pop((row.project_id, row.year))
        assert [r.revision for r in revisions] == list(range(1, row.plan_revision + 1))
        newest = revisions[-1]
        assert (
            newest.planned_investment_wan,
            newest.target,
            newest.planned_start,
            newest.planned_completion,
        ) == (
            row.planned_investment_wan,
            row.target,
            row.planned_start,
            row.planned_completion,
        )
        project = projects[row.project_id]
        assert project.start_year <= row.year <= min(project.end_year, CURRENT_YEAR)
        assert row.planned_start == (row.year == project.start_year)
        assert row.planned_completion == (row.year == project.end_year)
        assert revisions[0].changed_at.month == 1
        assert revisions[0].changed_by == "合成数据"
        # The openings were computed for plan rows too: every plan year after the project's
        # first reported one opens with the investment of the year before.
        if row.year > int(first_reported[row.project_id][:4]):
            assert row.opening_invested_wan is not None
    assert not history
    adjusted = [row for row in planned if row.plan_revision == 2]
    assert adjusted
    assert all(row.year == CURRENT_YEAR for row in adjusted)


def test_adjustments_carry_their_grounds(portfolio):
    engine, _ = portfolio
    with Session(engine) as session:
        adjustments = session.exec(select(PlanRevision).where(PlanRevision.revision == 2)).all()
        assert adjustments
        for adjustment in adjustments:
            assert adjustment.reason == "中期调整"
            assert adjustment.document.startswith(f"大发改投资〔{CURRENT_YEAR}〕")
            assert adjustment.document_date is not None
            assert adjustment.document_date.month == 7
            original = session.exec(
                select(PlanRevision).where(
                    PlanRevision.project_id == adjustment.project_id,
                    PlanRevision.year == adjustment.year,
                    PlanRevision.revision == 1,
                )
            ).one()
            assert original.planned_investment_wan != adjustment.planned_investment_wan


def test_milestones_follow_the_life_cycle_and_the_reports(portfolio):
    engine, _ = portfolio
    order = list(MilestoneKind)
    with Session(engine) as session:
        projects = session.exec(select(Project)).all()
        stages: dict[int, dict[MilestoneKind, Milestone]] = {}
        for stage in session.exec(select(Milestone)).all():
            stages.setdefault(stage.project_id, {})[MilestoneKind(stage.kind)] = stage
        first_built = dict(
            session.execute(
                sa.select(ProgressEntry.project_id, sa.func.min(ProgressEntry.as_of))
                .where(col(ProgressEntry.status).in_(("under_construction", "completed")))
                .group_by(ProgressEntry.project_id)
            ).all()
        )
    synthetic = [p for p in projects if p.content == "合成数据"]
    assert len(synthetic) == 200
    seen = dict.fromkeys(ProjectStatus, 0)
    for project in synthetic:
        assert project.id is not None
        mine = stages[project.id]
        actual = {kind: m.actual_date for kind, m in mine.items() if m.actual_date is not None}
        dates = [actual[kind] for kind in order if kind in actual]
        assert dates == sorted(dates)
        assert all(d <= ROUND_DAY for d in dates)
        planned = [mine[kind].planned_date for kind in order if kind in mine]
        assert planned == sorted(planned)
        assert all((m.actual_date is None) == (m.actual_recorded_at is None) for m in mine.values())
        assert project.started_on == actual.get(MilestoneKind.start)
        assert project.completed_on == actual.get(MilestoneKind.completion)
        status = ProjectStatus(project.status)
        seen[status] += 1
        if status is ProjectStatus.pre_construction:
            assert project.started_on is None
        if status in (ProjectStatus.under_construction, ProjectStatus.completed):
            assert project.started_on is not None
        assert (project.completed_on is not None) == (status is ProjectStatus.completed)
        if MilestoneKind.operation in actual:
            assert status is ProjectStatus.completed
        if status is ProjectStatus.cancelled:
            assert set(mine) == {MilestoneKind.filing, MilestoneKind.permits, MilestoneKind.start}
        else:
            assert set(mine) == set(order)
        # A start the reports saw falls in the month of the first report of construction.
        built = first_built.get(project.id)
        if project.started_on is not None and built is not None:
            assert project.started_on <= built
            if project.started_on > date(FIRST_YEAR, 11, 30):  # after the first period
                assert project.started_on.replace(day=1) == built.replace(day=1)
    assert seen[ProjectStatus.pre_construction]
    assert seen[ProjectStatus.completed]
    assert seen[ProjectStatus.under_construction]
