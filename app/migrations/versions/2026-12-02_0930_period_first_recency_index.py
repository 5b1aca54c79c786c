"""The period index carries the current-entry figures, for `as_of` rollups by month range.

Revision ID: 7c4e2a91b5d0
Revises: 29217dd98bd4
Create Date: 2026-12-02 09:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7c4e2a91b5d0"
down_revision: str | None = "29217dd98bd4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_INDEX = "ix_progress_entry_period"
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


def upgrade() -> None:
    with op.batch_alter_table("progress_entry", schema=None) as batch_op:
        batch_op.create_index(INDEX, KEY, unique=False, postgresql_include=INCLUDE)
        # Its leading column serves every lookup by period the old index did.
        batch_op.drop_index(OLD_INDEX)


def downgrade() -> None:
    with op.batch_alter_table("progress_entry", schema=None) as batch_op:
        batch_op.create_index(OLD_INDEX, ["period"], unique=False)
        batch_op.drop_index(INDEX)
