"""An index for looking up each project's current entry as of a date.

Revision ID: 3b7f0c2d9a41
Revises: b9822c0e3c93
Create Date: 2026-11-23 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models

revision: str = "3b7f0c2d9a41"
down_revision: str | None = "b9822c0e3c93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("progress_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_progress_entry_project_recency",
            ["project_id", "period", "revision", "as_of", "review_state"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("progress_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_progress_entry_project_recency")
