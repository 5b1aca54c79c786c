"""Current figures on the project row, kept in step with each report.

Revision ID: 5af5f5a9d143
Revises: e2a6e50c4680
Create Date: 2026-11-23 01:03:37.498211
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models

revision: str = "5af5f5a9d143"
down_revision: str | None = "e2a6e50c4680"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(sa.Column("percent_complete", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("invested_to_date_wan", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("open_issues", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("open_issues")
        batch_op.drop_column("invested_to_date_wan")
        batch_op.drop_column("percent_complete")
