"""Indexes behind the cache validators of rollups and reports.

Revision ID: e2a6e50c4680
Revises: edca98490dc2
Create Date: 2026-11-23 00:12:53.082793
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models

revision: str = "e2a6e50c4680"
down_revision: str | None = "edca98490dc2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("progress_entry", schema=None) as batch_op:
        batch_op.create_index("ix_progress_entry_reviewed_at", ["reviewed_at"], unique=False)

    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.create_index("ix_project_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_index("ix_project_updated_at")

    with op.batch_alter_table("progress_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_progress_entry_reviewed_at")
