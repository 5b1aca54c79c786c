"""Each entry's move (investment added, 复工) for the latest and official figures, in the
period index, so that a series of the present sums a range of periods without windows.

Revision ID: 9a3e5f27c1b4
Revises: 4d2b8c61f0a7
Create Date: 2026-12-05 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.progress import years

revision: str = "9a3e5f27c1b4"
down_revision: str | None = "4d2b8c61f0a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_progress_entry_period_recency"
KEY = ["period", "project_id", "revision"]
INCLUDE = [
    "as_of",
    "review_state",
    "received_at",
    "is_baseline",
    "status",
    "percent_complete",
    "invested_to_date_wan",
    "has_issues",
]
MOVES = ["invested_added_wan", "resumed", "official_invested_added_wan", "official_resumed"]


def upgrade() -> None:
    # Plain ALTER TABLE on both engines: copying `progress_entry` (SQLite's batch mode) would
    # have to rebuild its generated column and every index.
    op.add_column("progress_entry", sa.Column("invested_added_wan", sa.BigInteger()))
    op.add_column(
        "progress_entry",
        sa.Column("resumed", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("progress_entry", sa.Column("official_invested_added_wan", sa.BigInteger()))
    op.add_column(
        "progress_entry",
        sa.Column("official_resumed", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.drop_index(INDEX, table_name="progress_entry")
    op.create_index(
        INDEX, "progress_entry", KEY, unique=False, postgresql_include=[*INCLUDE, *MOVES]
    )
    # The moves of the history already stored.
    op.get_bind().execute(years.moves_statement(lambda column: sa.true()))


def downgrade() -> None:
    op.drop_index(INDEX, table_name="progress_entry")
    op.create_index(INDEX, "progress_entry", KEY, unique=False, postgresql_include=INCLUDE)
    for column in reversed(MOVES):
        op.drop_column("progress_entry", column)
