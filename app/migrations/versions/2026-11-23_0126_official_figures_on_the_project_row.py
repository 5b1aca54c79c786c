"""Official figures (approved reports only) on the project row.

Revision ID: b9822c0e3c93
Revises: 5af5f5a9d143
Create Date: 2026-11-23 01:26:51.761877
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models

revision: str = "b9822c0e3c93"
down_revision: str | None = "5af5f5a9d143"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "official_status",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                server_default="pre_construction",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("official_percent_complete", sa.SmallInteger(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("official_invested_to_date_wan", sa.BigInteger(), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "official_open_issues", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.create_index("ix_project_official_status", ["official_status"], unique=False)
        batch_op.create_check_constraint(
            op.f("ck_project_official_status_known"),
            "official_status IN "
            "('pre_construction', 'under_construction', 'completed', 'suspended', 'cancelled')",
        )


def downgrade() -> None:
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_project_official_status_known"), type_="check")
        batch_op.drop_index("ix_project_official_status")
        batch_op.drop_column("official_open_issues")
        batch_op.drop_column("official_invested_to_date_wan")
        batch_op.drop_column("official_percent_complete")
        batch_op.drop_column("official_status")
