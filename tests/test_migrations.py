"""Models and migrations agree, and every revision upgrades and downgrades."""

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import migrate
from app.db import build_engine
from app.models import SQLModel


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
