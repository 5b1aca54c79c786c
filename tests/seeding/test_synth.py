"""The synthetic portfolio: deterministic, drawn like the library, consistent with the rules."""

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from app import migrate
from app.db import build_engine
from app.models import ProgressEntry, Project
from app.progress.schemas import Figures
from app.progress.service import latest_entries
from app.seeding.load import load_seed
from app.seeding.synth import synthesize
from tests.conftest import SEED_DIR

TODAY = date(2026, 11, 22)


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
    engine.dispose()
