"""Models and migrations agree, and every revision upgrades and downgrades."""

from datetime import date

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session

from app import migrate
from app.db import build_engine
from app.models import ProgressEntry, Project, SQLModel
from app.seeding.load import load_seed
from tests.conftest import SEED_DIR


def _diff(url: str) -> list[object]:
    engine = build_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True}
        )
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    return list(diff)


def _tables(url: str) -> set[str]:
    engine = build_engine(url)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_upgrade_check_downgrade_upgrade(make_database):
    url = make_database()
    migrate.upgrade(url)
    assert _diff(url) == []
    command.check(migrate.alembic_config(url))
    assert {"park", "category", "project", "progress_entry", "api_token"} <= _tables(url)

    migrate.downgrade(url, "base")
    assert _tables(url) <= {"alembic_version"}

    migrate.upgrade(url)
    assert _diff(url) == []


def test_migrating_a_database_with_history_keeps_it_writable(make_database):
    # Migrations that copy a table (SQLite's batch mode) must not do so on PostgreSQL, where
    # the copy restarts the id sequence and the next report collides with a stored one.
    url = make_database()
    migrate.upgrade(url, "5b1f0c2d7e43")
    migrate.upgrade(url)
    engine = build_engine(url)
    with Session(engine) as session:
        load_seed(session, seed_dir=SEED_DIR)
    migrate.downgrade(url, "5b1f0c2d7e43")
    migrate.upgrade(url)
    with Session(engine) as session:
        stored = session.execute(sa.select(sa.func.count()).select_from(ProgressEntry)).scalar()
        entry = ProgressEntry(
            project_id=1,
            as_of=date(2026, 11, 30),
            period="2026-11",
            revision=1,
            status="under_construction",
            issues="资金未到位",
            reporter_name="test",
            reporter_role="admin",
        )
        session.add(entry)
        session.commit()
        session.refresh(entry)
        assert entry.id == stored + 1
        assert entry.has_issues is True
    engine.dispose()


def test_postgresql_keeps_statistics_of_the_searched_texts(make_database):
    url = make_database()
    migrate.upgrade(url)
    engine = build_engine(url)
    with engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            engine.dispose()
            pytest.skip("extended statistics are PostgreSQL's")
        found = conn.execute(
            sa.text("SELECT count(*) FROM pg_statistic_ext WHERE stxname = :name"),
            {"name": "st_project_searched_texts"},
        ).scalar_one()
    engine.dispose()
    assert found == 1
    migrate.downgrade(url, "76f7a4e01b40")  # before the statistics
    engine = build_engine(url)
    with engine.connect() as conn:
        assert not conn.execute(
            sa.text("SELECT count(*) FROM pg_statistic_ext WHERE stxname = :name"),
            {"name": "st_project_searched_texts"},
        ).scalar_one()
    engine.dispose()


def test_returned_reports_stop_stating_the_latest_figures_on_upgrade(make_database):
    # Before reviews held, a returned report could state a project's latest figures; the
    # upgrade recomputes them from the reports that count.
    url = make_database()
    migrate.upgrade(url)
    engine = build_engine(url)
    with Session(engine) as session:
        load_seed(session, seed_dir=SEED_DIR)
        project = session.get(Project, 1)
        assert project is not None
        printed = (project.status, project.percent_complete, project.invested_to_date_wan)
        session.add(
            ProgressEntry(
                project_id=1,
                as_of=date(2026, 10, 31),
                period="2026-10",
                status="under_construction",
                percent_complete=99,
                invested_to_date_wan=999_999,
                reporter_name="test",
                reporter_role="officer",
                review_state="returned",
            )
        )
        project.status, project.percent_complete, project.invested_to_date_wan = (
            "under_construction",
            99,
            999_999,
        )
        session.add(project)
        session.commit()
    engine.dispose()
    migrate.downgrade(url, "9a3e5f27c1b4")
    migrate.upgrade(url)
    engine = build_engine(url)
    with Session(engine) as session:
        project = session.get(Project, 1)
        assert project is not None
        assert (project.status, project.percent_complete, project.invested_to_date_wan) == printed
        returned = session.exec(
            sa.select(ProgressEntry.invested_added_wan).where(ProgressEntry.period == "2026-10")  # type: ignore[call-overload]
        ).scalar_one()
        assert returned is None
    engine.dispose()
