"""The figures of the current-entry lookup in its index: `has_issues` and INCLUDE columns.

Revision ID: 29217dd98bd4
Revises: 5b1f0c2d7e43
Create Date: 2026-12-02 06:08:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models

revision: str = "29217dd98bd4"
down_revision: str | None = "5b1f0c2d7e43"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_progress_entry_project_recency"
KEY = ["project_id", "period", "revision", "as_of", "review_state"]
INCLUDE = [
    "received_at",
    "is_baseline",
    "status",
    "percent_complete",
    "invested_to_date_wan",
    "has_issues",
]


def _copy_on_sqlite() -> str:
    # SQLite cannot add or drop a stored generated column in place, so its batch copies the
    # table; PostgreSQL alters it in place (a copy would restart the id sequence).
    return "always" if op.get_context().dialect.name == "sqlite" else "auto"


def upgrade() -> None:
    with op.batch_alter_table(
        "progress_entry", schema=None, recreate=_copy_on_sqlite()
    ) as batch_op:
        batch_op.add_column(
            sa.Column(
                "has_issues",
                sa.Boolean(),
                sa.Computed("issues <> ''", persisted=True),
                nullable=True,
            )
        )
    with op.batch_alter_table("progress_entry", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.create_index(INDEX, KEY, unique=False, postgresql_include=INCLUDE)


def downgrade() -> None:
    with op.batch_alter_table("progress_entry", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.create_index(INDEX, KEY, unique=False)
    with op.batch_alter_table(
        "progress_entry", schema=None, recreate=_copy_on_sqlite()
    ) as batch_op:
        batch_op.drop_column("has_issues")
