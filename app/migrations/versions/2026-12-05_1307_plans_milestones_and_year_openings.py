"""Annual plans and their revisions, life-cycle milestones, each project's year openings.

Revision ID: 76f7a4e01b40
Revises: 7c4e2a91b5d0
Create Date: 2026-12-05 13:07:09.060941
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models
from app.progress import years

revision: str = "76f7a4e01b40"
down_revision: str | None = "7c4e2a91b5d0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both engines: copying `project` (SQLite's batch mode) would trip
    # the foreign keys of its history.
    op.add_column("project", sa.Column("started_on", sa.Date(), nullable=True))
    op.add_column("project", sa.Column("completed_on", sa.Date(), nullable=True))

    op.create_table(
        "milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("planned_date", sa.Date(), nullable=True),
        sa.Column("actual_date", sa.Date(), nullable=True),
        sa.Column("actual_recorded_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('filing', 'permits', 'start', 'completion', 'operation')",
            name=op.f("ck_milestone_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_milestone_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone")),
        sa.UniqueConstraint("project_id", "kind", name="uq_milestone_project_kind"),
    )
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.create_index(
            "ix_milestone_kind_actual_date", ["kind", "actual_date"], unique=False
        )
        batch_op.create_index("ix_milestone_updated_at", ["updated_at"], unique=False)

    op.create_table(
        "plan_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("planned_investment_wan", sa.BigInteger(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("planned_start", sa.Boolean(), nullable=False),
        sa.Column("planned_completion", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("document", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=True),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("changed_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "planned_investment_wan >= 0", name=op.f("ck_plan_revision_planned_non_negative")
        ),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_plan_revision_revision_positive")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_plan_revision_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_revision")),
        sa.UniqueConstraint(
            "project_id", "year", "revision", name="uq_plan_revision_project_year_revision"
        ),
    )
    op.create_table(
        "project_year",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("plan_revision", sa.Integer(), nullable=False),
        sa.Column("planned_investment_wan", sa.BigInteger(), nullable=True),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("planned_start", sa.Boolean(), nullable=False),
        sa.Column("planned_completion", sa.Boolean(), nullable=False),
        sa.Column("opening_invested_wan", sa.BigInteger(), nullable=True),
        sa.Column("official_opening_invested_wan", sa.BigInteger(), nullable=True),
        sa.Column("opening_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column(
            "official_opening_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(plan_revision = 0) = (planned_investment_wan IS NULL)",
            name=op.f("ck_project_year_plan_complete"),
        ),
        sa.CheckConstraint(
            "planned_investment_wan IS NULL OR planned_investment_wan >= 0",
            name=op.f("ck_project_year_planned_non_negative"),
        ),
        sa.CheckConstraint(
            "year >= 1900 AND year <= 2200", name=op.f("ck_project_year_year_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_project_year_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_year")),
        sa.UniqueConstraint("project_id", "year", name="uq_project_year_project_year"),
    )
    with op.batch_alter_table("project_year", schema=None) as batch_op:
        batch_op.create_index("ix_project_year_year_project", ["year", "project_id"], unique=False)

    # The openings of every year with entries, from the history already stored.
    bind = op.get_bind()
    for statement in years.opening_statements(lambda column: sa.true()):
        bind.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("project_year", schema=None) as batch_op:
        batch_op.drop_index("ix_project_year_year_project")

    op.drop_table("project_year")
    op.drop_table("plan_revision")
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_index("ix_milestone_updated_at")
        batch_op.drop_index("ix_milestone_kind_actual_date")

    op.drop_table("milestone")

    op.drop_column("project", "completed_on")
    op.drop_column("project", "started_on")
