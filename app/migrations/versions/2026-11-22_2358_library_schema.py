"""Library schema: parks, categories, projects, progress entries, tokens, idempotency keys.

Revision ID: edca98490dc2
Revises:
Create Date: 2026-11-22 23:58:08.358635
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models

revision: str = "edca98490dc2"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "category",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("code_prefix", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category")),
        sa.UniqueConstraint("code_prefix", name=op.f("uq_category_code_prefix")),
        sa.UniqueConstraint("name", name=op.f("uq_category_name")),
    )
    op.create_table(
        "park",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("table4_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("tier", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("tier IN ('demonstration', 'key')", name=op.f("ck_park_tier_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_park")),
        sa.UniqueConstraint("name", name=op.f("uq_park_name")),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("park_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(role = 'officer' AND park_id IS NOT NULL) OR (role <> 'officer' AND park_id IS NULL)",
            name=op.f("ck_api_token_officer_has_park"),
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'planner', 'officer')", name=op.f("ck_api_token_role_known")
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_api_token_park_id_park")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("category_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("park_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column(
            "printed_park_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False
        ),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("start_year", sa.Integer(), nullable=False),
        sa.Column("end_year", sa.Integer(), nullable=False),
        sa.Column("total_investment_wan", sa.BigInteger(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("archived_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pre_construction', 'under_construction', 'completed', 'suspended', 'cancelled')",
            name=op.f("ck_project_status_known"),
        ),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_project_seq_positive")),
        sa.CheckConstraint("start_year <= end_year", name=op.f("ck_project_years_ordered")),
        sa.CheckConstraint(
            "total_investment_wan >= 0", name=op.f("ck_project_investment_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"], ["category.id"], name=op.f("fk_project_category_id_category")
        ),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], name=op.f("fk_project_park_id_park")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
        sa.UniqueConstraint("category_id", "seq", name="uq_project_category_seq"),
        sa.UniqueConstraint("code", name=op.f("uq_project_code")),
    )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.create_index("ix_project_archived_at", ["archived_at"], unique=False)
        batch_op.create_index("ix_project_park_category", ["park_id", "category_id"], unique=False)
        batch_op.create_index("ix_project_start_year", ["start_year"], unique=False)
        batch_op.create_index("ix_project_status", ["status"], unique=False)
        batch_op.create_index(
            "ix_project_total_investment_wan", ["total_investment_wan"], unique=False
        )

    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.JSON(), nullable=False),
        sa.Column("created_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_token.id"], name=op.f("fk_idempotency_record_token_id_api_token")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint("token_id", "key", name="uq_idempotency_record_token_key"),
    )
    op.create_table(
        "progress_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("percent_complete", sa.SmallInteger(), nullable=True),
        sa.Column("invested_to_date_wan", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("issues", sa.Text(), nullable=False),
        sa.Column("is_baseline", sa.Boolean(), nullable=False),
        sa.Column("reporter_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("reporter_role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reporter_token_id", sa.Integer(), nullable=True),
        sa.Column("received_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("review_state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reviewer_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("reviewed_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "reporter_role IN ('admin', 'planner', 'officer') OR reporter_role = 'seed'",
            name=op.f("ck_progress_entry_role"),
        ),
        sa.CheckConstraint(
            "review_state IN ('submitted', 'approved', 'returned')",
            name=op.f("ck_progress_entry_review_state_known"),
        ),
        sa.CheckConstraint(
            "status IN ('pre_construction', 'under_construction', 'completed', 'suspended', 'cancelled')",
            name=op.f("ck_progress_entry_status_known"),
        ),
        sa.CheckConstraint(
            "invested_to_date_wan IS NULL OR invested_to_date_wan >= 0",
            name=op.f("ck_progress_entry_invested_non_negative"),
        ),
        sa.CheckConstraint(
            "percent_complete IS NULL OR (percent_complete >= 0 AND percent_complete <= 100)",
            name=op.f("ck_progress_entry_percent_in_range"),
        ),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_progress_entry_revision_positive")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_progress_entry_project_id_project")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_token_id"],
            ["api_token.id"],
            name=op.f("fk_progress_entry_reporter_token_id_api_token"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_entry")),
        sa.UniqueConstraint(
            "project_id", "period", "revision", name="uq_progress_entry_project_period_revision"
        ),
    )
    with op.batch_alter_table("progress_entry", schema=None) as batch_op:
        batch_op.create_index("ix_progress_entry_period", ["period"], unique=False)
        batch_op.create_index(
            "ix_progress_entry_project_as_of", ["project_id", "as_of", "received_at"], unique=False
        )
        batch_op.create_index("ix_progress_entry_review_state", ["review_state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("progress_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_progress_entry_review_state")
        batch_op.drop_index("ix_progress_entry_project_as_of")
        batch_op.drop_index("ix_progress_entry_period")

    op.drop_table("progress_entry")
    op.drop_table("idempotency_record")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_index("ix_project_total_investment_wan")
        batch_op.drop_index("ix_project_status")
        batch_op.drop_index("ix_project_start_year")
        batch_op.drop_index("ix_project_park_category")
        batch_op.drop_index("ix_project_archived_at")

    op.drop_table("project")
    op.drop_table("api_token")
    op.drop_table("park")
    op.drop_table("category")
